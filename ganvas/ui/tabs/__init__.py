"""The studio's tabs, one module each; `build(studio)` draws a tab inside the current Blocks."""
