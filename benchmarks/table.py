"""One table format for every benchmark."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table


def print_table(title: str, rows: list[dict]) -> None:
    table = Table(title=title)
    for column in ("benchmark", "value", "unit", "note"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        table.add_row(str(row["name"]), f"{row['value']:,}" if isinstance(row["value"], (int, float)) else str(row["value"]),
                      str(row.get("unit", "")), str(row.get("note", "")))
    Console(width=160).print(table)
