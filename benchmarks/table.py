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


def print_columns(title: str, columns: list[str], rows: list[dict], notes: list[str] = ()) -> None:
    """A table with one row per case and one column per measure, then its protocol notes."""
    table = Table(title=title)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*(_cell(row.get(column, "")) for column in columns))
    console = Console(width=160)
    console.print(table)
    for note in notes:
        console.print(f"  {note}", highlight=False)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_icon_table(title: str, columns: list[str], run) -> None:
    """Run a benchmark over the Oxygen icons and print its table, or say in one line why it cannot run."""
    from . import oxygen

    missing = oxygen.missing_theme()
    if missing:
        print(missing)
        return
    rows, notes = run()
    print_columns(title, columns, rows, notes)
