"""Operations: health and Prometheus metrics served over HTTP, for whoever runs the bot.

Kept empty so importing one module here does not pull in the others.
"""
