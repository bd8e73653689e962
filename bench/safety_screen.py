"""Cost of the therapy-boundary screen per message: `python -m bench.safety_screen`.

Every free-text answer is screened, so this is paid on every message. Prints, in
microseconds per 200-character message, the English-only screen (one data file) and the
default screen (every screening language compiled into one regex), for plain-ASCII work
answers, accented answers in other languages and crisis sentences; and the cost of the
language guess behind the once-only language note. No assertions: figures only.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

from flows.safety import DEFAULT_PATH, load_screen

SEEDS: dict[str, Sequence[str]] = {
    "english work (ascii)": (
        "This week I want to get better at giving feedback to Sam without it turning into a "
        "lecture; the deadline is killing me but the team is doing well and I think we can ",
        "My manager asked me to shoot her an email with the plan for the offsite, and I need "
        "to decide who leads the retro before Friday because the budget review is on Monday ",
    ),
    "other languages (accented)": (
        "Quiero mejorar la comunicación con mi equipo; me muero de ganas de empezar el nuevo "
        "proyecto pero mi jefe me va a matar si no entrego el informe antes del viernes, así ",
        "Ich möchte lernen, besser zu delegieren. Ich sterbe vor Langeweile in Meetings und "
        "meine Chefin hat mir heute gesagt, dass ich zu langsam bin, aber das Team ist großartig ",
        "J'ai du mal à dire non à mon directeur ; ce projet me tue mais l'équipe est motivée et "
        "je voudrais mieux gérer mon temps avant la revue trimestrielle de la semaine prochaine ",
        "Estou morto de cansaço depois do lançamento, mas quero dar feedback melhor para a "
        "minha equipe e não sei por onde começar com o gestor que não responde às mensagens ",
    ),
    "crisis sentences": (
        "I have been trying to keep going at work but honestly I've been saving up my pills and "
        "I've picked a date, I don't think anyone would notice if I was gone from the team ",
        "Llevo semanas en el trabajo sin dormir y la verdad es que ya no quiero vivir, tengo un "
        "plan para acabar con todo y no se lo he contado a nadie en la empresa ni a mi familia ",
    ),
}


def _messages(seeds: Sequence[str]) -> list[str]:
    # Exactly 200 characters each, as a typical long answer.
    return [(seed * 2)[:200] for seed in seeds]


def _per_call_us(func: Callable[[str], object], messages: Sequence[str], rounds: int) -> float:
    for text in messages:
        func(text)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(rounds):
            for text in messages:
                func(text)
        best = min(best, (time.perf_counter() - started) / (rounds * len(messages)))
    return best * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    english = load_screen(DEFAULT_PATH)
    english_ms = (time.perf_counter() - started) * 1e3
    started = time.perf_counter()
    everything = load_screen()
    all_ms = (time.perf_counter() - started) * 1e3
    print(f"compile: english only {english_ms:.1f} ms, all screening languages {all_ms:.1f} ms")
    print(f"{'messages (200 chars)':<28} {'english only':>14} {'all languages':>14}")
    for name, seeds in SEEDS.items():
        messages = _messages(seeds)
        one = _per_call_us(english.check, messages, args.rounds)
        many = _per_call_us(everything.check, messages, args.rounds)
        print(f"{name:<28} {one:>11.1f} µs {many:>11.1f} µs")
    try:
        from flows.language_guess import other_language
    except ImportError:  # an older tree without the language note
        return 0
    every = [m for seeds in SEEDS.values() for m in _messages(seeds)]
    guess = _per_call_us(lambda text: other_language(text, "en"), every, args.rounds // 4)
    print(f"{'language guess (any)':<28} {guess:>11.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
