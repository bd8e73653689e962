"""/export: everything stored about a leader, as text they can read on a phone."""

from __future__ import annotations

from typing import Any


def export_text(data: dict[str, Any]) -> str:
    profile = data.get("profile", {})
    lines = [
        "Everything I hold about you:",
        f"Name: {profile.get('name') or '—'}",
        f"Level: {profile.get('level') or '—'}",
        f"Time zone: {profile.get('timezone') or '—'}",
        f"Consent given: {_day(profile.get('consented_at'))}",
        f"Check-ins paused: {'yes' if profile.get('paused') else 'no'}",
    ]
    for engagement in data.get("engagements", []):
        if engagement["status"] == "declined":
            continue
        lines.append(
            f"Engagement ({engagement['status']}, from {_day(engagement['started_at'])}): "
            f"{engagement['months']} months, session {engagement['sessions_held']} "
            f"of {engagement['sessions_planned']} held"
        )
    for goal in data.get("goals", []):
        lines += ["", f"Goal ({goal['status']}, set {_day(goal['created_at'])}): {goal['text']}"]
        if goal.get("closed_at"):
            lines.append(f"  Closed {_day(goal['closed_at'])}: {goal.get('closed_reason') or '—'}")
        earlier = goal.get("versions", [])[:-1]
        lines += [
            f"  Earlier wording (v{v['version']}, {_day(v['created_at'])}): {v['text']}" for v in earlier
        ]
        scores = ", ".join(
            f"{s['kind']} {s['value']} ({_day(s['created_at'])}"
            + (f", v{s['goal_version']}" if s.get("goal_version") and earlier else "")
            + ")"
            for s in goal.get("scores", [])
        )
        if scores:
            lines.append(f"  Ratings: {scores}")
        if goal.get("attainment") is not None:
            lines.append(f"  Goal attainment at the close: {goal['attainment']:+d} (-2 … +2)")
        lines += [f"  Logged {_day(r['created_at'])}: {r['text']}" for r in goal.get("reflections", [])]
        for session in goal.get("sessions", []):
            lines.append(
                f"  Session {_day(session['started_at'])} ({session['kind']}, {session['outcome'] or 'open'})"
            )
            lines += [f"    {a['step']}: {a['text']}" for a in session.get("answers", [])]
        for checkin in goal.get("checkins", []):
            lines.append(f"  Check-in {checkin['kind']} due {_day(checkin['due_at'])}: {checkin['status']}")
    for session in data.get("sessions_without_goal", []):
        lines.append(f"Unfinished session {_day(session['started_at'])}")
        lines += [f"    {a['step']}: {a['text']}" for a in session.get("answers", [])]
    flags = data.get("safety_flags", [])
    if flags:
        lines.append(
            f"\nTimes a conversation was paused for your safety: {len(flags)} (what you wrote was not kept)"
        )
    lines.append("\nTo erase all of it, send /delete.")
    return "\n".join(lines)


def _day(value: str | None) -> str:
    return value[:10] if value else "—"
