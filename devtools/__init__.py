"""Development tools shared by the tests and the benchmarks: the Telegram Bot API emulator
and a way to run the real `grow-coach run` against it. Not part of the installed bot."""
