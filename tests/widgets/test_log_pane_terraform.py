"""Colourless Terraform output painted by the pane as tofu's colour mode would show it."""

from __future__ import annotations

from rich.color import Color
from rich.segment import Segment
from textual.strip import Strip

from joblens.models import StreamType
from support.log_host import chunk, open_pane, text_of, write


def segment_of(strip: Strip, text: str) -> Segment:
    return next(segment for segment in strip if segment.text.strip() == text)


async def test_a_colourless_plan_line_gets_a_green_plus() -> None:
    async with open_pane(size=(70, 8)) as (app, pilot, pane):
        await write(
            pilot,
            pane,
            chunk(
                "  # aws_s3_bucket.logs will be created\n"
                '  + resource "aws_s3_bucket" "logs" {\n'
                "Plan: 1 to add, 0 to change, 0 to destroy.\n"
            ),
        )
        header, resource, plan = (pane.render_line(y) for y in range(3))
        assert text_of(resource).rstrip() == '  + resource "aws_s3_bucket" "logs" {'
        plus = segment_of(resource, "+")
        assert plus.style is not None and plus.style.color == Color.parse("green")
        rest = segment_of(resource, 'resource "aws_s3_bucket" "logs" {')
        foreground = Color.parse(app.get_css_variables()["foreground"])
        assert rest.style is not None and rest.style.color == foreground  # the stream's colour
        address = segment_of(header, "# aws_s3_bucket.logs")
        assert address.style is not None and address.style.bold
        assert segment_of(plan, "Plan:").style.bold  # type: ignore[union-attr]


async def test_a_diagnostic_frame_is_red_from_its_first_line_to_its_last() -> None:
    block = "╷\n│ Error: creating IAM Role: AccessDenied\n│\n│   with aws_iam_role.app,\n╵\n"
    async with open_pane(size=(70, 8)) as (_app, pilot, pane):
        await write(pilot, pane, chunk("aws_iam_role.app: Creating...\n"), chunk(block))
        red = Color.parse("red")
        for y, gutter in ((1, "╷"), (2, "│"), (3, "│"), (4, "│"), (5, "╵")):
            row = pane.render_line(y)
            assert text_of(row).startswith(gutter)
            first = next(iter(row))
            assert first.text == gutter and first.style is not None
            assert first.style.color == red, y
        label = segment_of(pane.render_line(2), "Error:")
        assert label.style is not None and label.style.bold and label.style.color == red


async def test_stderr_keeps_its_own_red_under_the_highlighting() -> None:
    block = "╷\n│ Error: boom\n│ detail\n╵\n"
    async with open_pane(size=(70, 8)) as (app, pilot, pane):
        await write(pilot, pane, chunk(block, StreamType.STDERR))
        error = Color.parse(app.get_css_variables()["text-error"])
        for y in range(4):
            for segment in pane.render_line(y):
                if segment.text.strip():
                    assert segment.style is not None and segment.style.color == error
        row = list(pane.render_line(1))
        assert row[0].text == "│ " and row[0].style is not None and not row[0].style.bold
        bold = [s for s in row if s.style is not None and s.style.bold]
        assert "".join(s.text for s in bold) == "Error: boom"
