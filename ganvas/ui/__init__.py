"""ganvas studio: a local web app to train on uploaded images, watch the GAN learn, sample, and stylise.

Modules: paths (the folders and the serving check), uploads (checking images), jobs (the job manager),
worker (one job's process), folders and views (what the pages read and show), remedies (diagnostics
cures queued for a resume), forms (inputs generated from the config dataclasses), tabs/ (one module per
tab), app (the page) and server (the web server). Gradio is imported only by app, tabs and server, so
the rest works, and is tested, without it.
"""
