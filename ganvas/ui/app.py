"""The studio's page: four tabs in one Gradio Blocks."""
from __future__ import annotations

import gradio as gr

from .studio import Studio
from .tabs import create, runs, stylize, train

# Pixel art at 16-64 px is unreadable when the browser smooths it.
CSS = """
#train-sample img, #create-grid img, #create-walk img, #runs-grids img, #style-current img, #style-result img {
  image-rendering: pixelated; width: 100%; height: 100%; object-fit: contain; }
#train-losses img { width: 100%; height: 100%; object-fit: contain; }
.ganvas-events { font-size: 0.9em; } .ganvas-events td, .ganvas-events th { padding: 2px 6px; }
"""


def theme() -> gr.themes.Base:
    # System fonts: the default theme would fetch its font from the internet, and the studio is offline.
    return gr.themes.Default(font=["system-ui", "Segoe UI", "Roboto", "sans-serif"],
                             font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"])


def build_blocks(studio: Studio) -> gr.Blocks:
    # Gradio copies every image it shows into its cache (the upload area's incoming/): a live run shows
    # a new grid and loss figure every few seconds, so copies older than half an hour are deleted.
    with gr.Blocks(title="ganvas studio", analytics_enabled=False, delete_cache=(600, 1800)) as blocks:
        gr.Markdown("## ganvas studio\nTrain a GAN on your images, watch it learn, draw from it, and "
                    "stylise photos. Jobs run on this machine and keep going when the page is closed.")
        with gr.Tabs():
            train.build(studio)
            runs.build(studio)
            create.build(studio)
            stylize.build(studio)
    # Handlers that only read files may run side by side; those drawing with torch say so themselves.
    blocks.queue(default_concurrency_limit=8)
    return blocks
