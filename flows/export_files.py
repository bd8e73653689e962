"""/export: everything stored about a leader, as two files.

The JSON file is complete (every stored row, `stored_rows`, beside the nested view) for
keeping or moving elsewhere; the Markdown file is for reading: a heading per goal and per
session, each answer under the question it answered.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flows.content import Content, MissingText
from flows.events import Attachment
from flows.progress import format_attainment

FORMAT = "grow-coach-export/1"
SESSION_FLOWS = {"grow": "grow", "checkin": "checkin", "rescore": "rescore"}


def export_files(
    data: dict[str, Any], now: datetime, content: Content, style: str | None
) -> list[Attachment]:
    day = now.date().isoformat()
    document = {"format": FORMAT, "exported_at": now.isoformat(), **data}
    return [
        Attachment(
            f"grow-coach-{day}.md",
            "text/markdown",
            _Markdown(content, style).render(data, now).encode("utf-8"),
        ),
        Attachment(
            f"grow-coach-{day}.json",
            "application/json",
            json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"),
        ),
    ]


class _Markdown:
    def __init__(self, content: Content, style: str | None) -> None:
        self.content = content
        self.style = style
        self.lines: list[str] = []

    def word(self, field: str, **values: object) -> str:
        return self.content.text("export", "markdown", field, values=values)

    def render(self, data: dict[str, Any], now: datetime) -> str:
        profile = data.get("profile", {})
        when = now.strftime("%Y-%m-%d %H:%M")
        self.lines = [f"# {self.word('title')}", "", self.word("exported", when=when)]
        self.lines += ["", f"## {self.word('profile')}", ""]
        self.lines += [
            f"- {self.word('name')}: {profile.get('name') or '—'}",
            f"- {self.word('level')}: {profile.get('level') or '—'}",
            f"- {self.word('timezone')}: {profile.get('timezone') or '—'}",
            f"- {self.word('consented')}: {_day(profile.get('consented_at'))}",
            f"- {self.word('paused')}: {self.word('yes') if profile.get('paused') else self.word('no')}",
        ]
        engagements = [e for e in data.get("engagements", []) if e["status"] != "declined"]
        if engagements:
            self.lines += ["", f"## {self.word('engagements')}", ""]
            self.lines += [
                f"- {e['status']}, {_day(e['started_at'])}: "
                + self.word(
                    "engagement", months=e["months"], held=e["sessions_held"], planned=e["sessions_planned"]
                )
                for e in engagements
            ]
        for goal in data.get("goals", []):
            self._goal(goal)
        unfinished = data.get("sessions_without_goal", [])
        if unfinished:
            self.lines += ["", f"## {self.word('unfinished')}"]
            for session in unfinished:
                self._session(session, goal_text="")
        flags = data.get("safety_flags", [])
        if flags:
            self.lines += ["", self.word("safety", count=len(flags))]
        self.lines += ["", "---", "", self.word("delete"), ""]
        return "\n".join(self.lines)

    def _goal(self, goal: dict[str, Any]) -> None:
        self.lines += ["", f"## {self.word('goal')}: {_inline(goal['text'])}", ""]
        created = f"{self.word('created')} {_day(goal['created_at'])}"
        self.lines.append(f"{self.word('status')}: {goal['status']}, {created}")
        if goal.get("closed_at"):
            reason = goal.get("closed_reason") or "—"
            self.lines += ["", f"{self.word('closed')} {_day(goal['closed_at'])}: {reason}"]
        if goal.get("expected_outcome"):
            self.lines += ["", f"{self.word('expected')}: {_inline(goal['expected_outcome'])}"]
        if goal.get("attainment") is not None:
            score = format_attainment(goal["attainment"])
            self.lines += ["", f"{self.word('attainment')}: {score} ({_day(goal.get('attainment_at'))})"]
        for version in goal.get("versions", [])[:-1]:
            when = f"v{version['version']}, {_day(version['created_at'])}"
            self.lines += ["", f"{self.word('earlier')} ({when}): {_inline(version['text'])}"]
        scores = ", ".join(
            f"{s['kind']} {s['value']}/10 ({_day(s['created_at'])})" for s in goal.get("scores", [])
        )
        if scores:
            self.lines += ["", f"{self.word('ratings')}: {scores}"]
        for reflection in goal.get("reflections", []):
            self.lines += [
                "",
                f"{self.word('logged')} {_day(reflection['created_at'])}: {_block(reflection['text'])}",
            ]
        for session in goal.get("sessions", []):
            self._session(session, goal_text=goal["text"])
        checkins = goal.get("checkins", [])
        if checkins:
            self.lines += ["", f"### {self.word('checkins')}", ""]
            for c in checkins:
                outcome = f" ({c['outcome']})" if c.get("outcome") else ""
                self.lines.append(f"- {c['kind']}, {_day(c['due_at'])}: {c['status']}{outcome}")

    def _session(self, session: dict[str, Any], goal_text: str) -> None:
        outcome = session.get("outcome") or self.word("open")
        started = _day(session["started_at"])
        self.lines += ["", f"### {self.word('session')} {started} ({session['kind']}, {outcome})"]
        for answer in session.get("answers", []):
            question = self._question(session["kind"], answer["step"], goal_text)
            self.lines += ["", f"**{self.word('question')}:** {_inline(question)}", ""]
            self.lines.append(f"**{self.word('answer')}:** {_block(answer['text'])}")
        fields = ("action", "action_due", "support", "obstacle", "if_then")
        plan = [(field, session.get(field)) for field in fields]
        if any(value for _, value in plan):
            self.lines += ["", f"**{self.word('plan')}**", ""]
            self.lines += [
                f"- {self.word('due' if field == 'action_due' else field)}: {_inline(str(value))}"
                for field, value in plan
                if value
            ]

    def _question(self, kind: str, step: str, goal_text: str) -> str:
        """The question as it was worded; variants differ a little, the first stands for all."""
        flow = SESSION_FLOWS.get(kind, kind)
        try:
            return self.content.text(flow, step, style=self.style, values={"goal": goal_text})
        except MissingText:
            return step.replace("_", " ").capitalize()


def _day(value: str | None) -> str:
    return value[:10] if value else "—"


def _inline(text: str) -> str:
    return " ".join(text.split())


def _block(text: str) -> str:
    # A line break inside an answer stays one: Markdown needs two trailing spaces for it.
    return "  \n".join(line.rstrip() for line in text.strip().splitlines())
