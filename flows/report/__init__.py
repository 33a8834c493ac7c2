"""Pure: the warehouse's overview -> one self-contained HTML page with SVG charts."""

from flows.report.html import ReportData, render

__all__ = ["ReportData", "render"]
