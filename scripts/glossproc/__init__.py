"""Process helpers shared by scripts/fuzz and scripts/bench.

Both drive the real `gloss` and `gloss-server` binaries: they run commands to their end,
start `gloss-server serve --port 0` on the loopback address and read the port it got from
its first line, create corpora and tokens with its admin commands, and stop it with SIGTERM
(which must end it with exit status 0). Modules:

  paths      where the repository is
  processes  running a command to its end; every child registered, so a run that stops
             early (an error, Ctrl-C) can stop them all
  server     gloss-server: its storage options, its admin commands (corpora, tokens) and
             the `serve` process (start, wait for the listening line, stop, peak memory)
"""
