#!/usr/bin/env python3
"""on_tty.py ANSWER CMD...: runs CMD on a pseudo-terminal (stdin, stdout and
stderr all on it, as on a person's terminal), types ANSWER and Enter once
CMD has asked (when ANSWER is '-', nothing is typed), copies everything
CMD writes to our stdout (lines ending in LF, as on a pipe), and exits with
CMD's exit code."""
import os
import pty
import sys
import time


def main():
    answer, cmd = sys.argv[1], sys.argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = b""
    typed = answer == "-"
    deadline = time.time() + 60
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
        # a terminal ends lines with CR LF: give them back as LF
        sys.stdout.buffer.write(chunk.replace(b"\r\n", b"\n"))
        sys.stdout.buffer.flush()
        if not typed and b"accepted: " in out:
            os.write(fd, answer.encode() + b"\n")
            typed = True
        if time.time() > deadline:
            os.kill(pid, 9)
            break
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode")
             else (status >> 8))


main()
