"""The baseline: the same GROW conversation, built the way python-telegram-bot's examples build a bot.

A `ConversationHandler` with one state per question, `PicklePersistence`, and PTB's
default sequential update processing (`concurrent_updates` off), as in PTB's
conversationbot.py and persistentconversationbot.py. Nothing of GROW Coach is imported:
this is what a team would get by following those examples, so it shows what our
per-answer database commit and concurrency cost or buy.

The leader sees the same steps and the same kinds of keyboard, and gets the same number
of messages per answer, so the benchmark drives both bots with one script. Answers live
in `user_data`; PicklePersistence writes them to disk every 60 s (PTB's default
update_interval) and at shutdown, not per answer.

Configured by environment variables, because the benchmark starts it as a subprocess:
BASELINE_TOKEN, BASELINE_BASE_URL, BASELINE_BASE_FILE_URL, BASELINE_PERSISTENCE.
"""

from __future__ import annotations

import html
import logging
import os
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)
from telegram.warnings import PTBUserWarning

WELCOME = (
    "Hi, I'm a GROW coach. I help leaders turn a goal into a concrete next step, then check in "
    "on how it went.\n\nBefore we start: what you tell me is confidential and used only to coach "
    "you. I'm a coaching tool, not a therapist."
)
DONE = "You're all set, {name}. Let's begin your first session. There are no wrong answers."
EXAMPLES = (
    "Ask a trusted peer how they handle it",
    "Rehearse the conversation out loud first",
    "Block 30 minutes each week for it",
    "Ask my team for feedback on it",
)
LEVELS = ("First-time manager", "Experienced manager", "Senior leader", "Executive")
ZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Singapore")
SCORES_0_10 = tuple(str(n) for n in range(11))
SCORES_1_10 = tuple(str(n) for n in range(1, 11))


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    buttons: tuple[str, ...] = ()  # fixed labels; empty for a text answer
    grid: bool = False  # scores sit in two rows, as GROW Coach shows them
    pick: bool = False  # buttons are the leader's own options plus examples
    preface: str = ""  # a message sent just before the question


QUESTIONS: tuple[Question, ...] = (
    Question("consent", "Shall we go ahead on that basis?", ("Yes, let's start", "Not now"), preface=WELCOME),
    Question("name", "What should I call you?"),
    Question("level", "Which best describes your role right now, {name}?", LEVELS),
    Question("timezone", "Which time zone are you in? Tap one or type a city.", ZONES),
    Question("goal", "Goal (1 of 4): which leadership behaviour would you like to change?", preface=DONE),
    Question("goal_measure", "How will you know it has worked?"),
    Question("goal_by_when", "By when would you like to see it happen?"),
    Question("reality_now", "Reality (2 of 4): think of a recent example. What did you do?"),
    Question("reality_tried", "What have you already done about this? What did you learn?"),
    Question("reality_cost", "What does it cost you, your team or the business if nothing changes?"),
    Question("reality_baseline", "From 0 to 10, how well do you do this today?", SCORES_0_10, grid=True),
    Question("options_first", "Options (3 of 4): list one thing you could try."),
    Question("options_more", "And what else?"),
    Question("options_last", "One more: what else could you try?"),
    Question("options_bold", "Imagine someone you admire facing this. What would they do?"),
    Question("options_pick", "Which one will you act on?", pick=True),
    Question("will_action", "Will (4 of 4): what exactly will you do?"),
    Question("will_when", "By when will you do it?"),
    Question("will_support", "Who could help you follow through?"),
    Question("will_obstacle", "What is most likely to get in the way?"),
    Question("will_if_then", 'Finish this sentence: "If that obstacle shows up, then I will …"'),
    Question("will_commitment", "From 1 to 10, how committed are you?", SCORES_1_10, grid=True),
)
RECAP = (
    "Here's your plan, {name}:\n• Goal: {goal}\n• Action: {will_action} by {will_when}\n"
    "• Commitment: {score}/10"
)
OPTION_KEYS = ("options_first", "options_more", "options_last", "options_bold")

Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, int]]


def keyboard(question: Question, answers: dict[str, str]) -> InlineKeyboardMarkup | None:
    labels = [answers[key] for key in OPTION_KEYS if key in answers] + list(EXAMPLES)
    labels = labels if question.pick else list(question.buttons)
    if not labels:
        return None
    buttons = [InlineKeyboardButton(label[:60], callback_data=str(i)) for i, label in enumerate(labels)]
    if question.grid:
        split = (len(buttons) + 1) // 2
        return InlineKeyboardMarkup([buttons[:split], buttons[split:]])
    return InlineKeyboardMarkup([[button] for button in buttons])


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE, index: int) -> int:
    """Send question `index` (or the recap after the last) and return the next state."""
    chat = update.effective_chat
    assert chat is not None and context.user_data is not None
    answers: dict[str, str] = context.user_data.setdefault("answers", {})
    name = answers.get("name", "there")
    if index == len(QUESTIONS):
        recap = RECAP.format(
            name=name,
            goal=answers.get("goal", ""),
            will_action=answers.get("will_action", ""),
            will_when=answers.get("will_when", ""),
            score=answers.get("will_commitment", ""),
        )
        await context.bot.send_message(chat.id, html.escape(recap), parse_mode=ParseMode.HTML)
        return ConversationHandler.END
    question = QUESTIONS[index]
    if question.preface:
        await context.bot.send_message(
            chat.id, html.escape(question.preface.format(name=name)), parse_mode=ParseMode.HTML
        )
    await context.bot.send_message(
        chat.id,
        html.escape(question.text.format(name=name)),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(question, answers),
    )
    return index


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert context.user_data is not None
    context.user_data["answers"] = {}
    return await ask(update, context, 0)


def answer_text(index: int) -> Callback:
    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None and update.message.text is not None
        assert context.user_data is not None
        context.user_data.setdefault("answers", {})[QUESTIONS[index].key] = update.message.text
        return await ask(update, context, index + 1)

    return on_text


def answer_button(index: int) -> Callback:
    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None and context.user_data is not None
        await query.answer()
        message = query.message
        label = query.data or ""
        if message is not None and hasattr(message, "reply_markup") and message.reply_markup:
            for row in message.reply_markup.inline_keyboard:
                for button in row:
                    if button.callback_data == query.data:
                        label = button.text
            await query.edit_message_text(
                f"{html.escape(getattr(message, 'text', '') or '')}\n\n✓ <b>{html.escape(label)}</b>",
                parse_mode=ParseMode.HTML,
            )
        context.user_data.setdefault("answers", {})[QUESTIONS[index].key] = label
        return await ask(update, context, index + 1)

    return on_button


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, "Cancelled.")
    return ConversationHandler.END


def build() -> Application[Any, Any, Any, Any, Any, Any]:
    persistence = PicklePersistence(filepath=os.environ["BASELINE_PERSISTENCE"])
    application = (
        Application.builder()
        .token(os.environ["BASELINE_TOKEN"])
        .base_url(os.environ["BASELINE_BASE_URL"])
        .base_file_url(os.environ["BASELINE_BASE_FILE_URL"])
        .persistence(persistence)
        .build()
    )
    text_answer = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, object]]] = {
        index: [
            CallbackQueryHandler(answer_button(index))
            if question.buttons or question.pick
            else MessageHandler(text_answer, answer_text(index))
        ]
        for index, question in enumerate(QUESTIONS)
    }
    application.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states=states,
            fallbacks=[CommandHandler("cancel", cancel)],
            name="grow",
            persistent=True,
        )
    )
    return application


def main() -> None:
    # As PTB's examples do: INFO logs, but not one line per HTTP request from httpx.
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Mixing CallbackQueryHandler with per_message=False is intended here (one state per
    # question, whichever message the button sits on); PTB warns about it at build time.
    warnings.filterwarnings("ignore", category=PTBUserWarning)
    build().run_polling(allowed_updates=Update.ALL_TYPES, timeout=1, poll_interval=0.0)


if __name__ == "__main__":
    main()
