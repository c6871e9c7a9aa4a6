#!/usr/bin/python3
"""Runs the README's shell walk-throughs and checks what they print.

A walk-through is a ```sh block of README.md with a marker line right before
it:

    <!-- readme-test: cli -->
    ```sh
    QCALL_TOKEN=demo-kiosk-token $q kiosk issue BILL   # prints `A001`
    $q counter call 3                                  # exit 3: `nobody waiting`
    ```

For each marked block the test starts a fresh qcalld on the demo halls
(demo/halls.textproto, an empty journal, ports chosen by the system), puts its
ports where the block says 127.0.0.1:50051 and 127.0.0.1:8080, and runs the
block with bash from the project root, one command at a time, as a reader
would paste it. A command's trailing comment says what it must do:

  exit N            its exit status is N (without it: 0; every other status
                    fails the test)
  prints `TEXT`     TEXT is in what it printed (stdout and stderr); every
                    `...` after the word "prints" (or after "exit N:") counts

A command started in the background (`... &`) is checked for what it printed
once the block has ended; the block must stop it itself (kill, timeout): a
process of the block still running when the block ends fails the test, and
so does a file the block leaves in the clone's top folder.

The test fails if README.md has no marked block, if a walk-through it
requires (REQUIRED below) is missing, if an unmarked sh block looks like a
walk-through (it runs qcall or buf against the server), or if a marked
block's section does not say how to start the fresh hall it begins from.

Usage: readme_test.py <qcalld> <qcall> <project source dir>
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

QCALLD, QCALL, ROOT = (os.path.abspath(a) for a in sys.argv[1:4])
README = os.path.join(ROOT, "README.md")

# The walk-throughs README.md must have, by marker name.
REQUIRED = ("cli", "buf")
# What a walk-through's section must tell the reader to run first.
FRESH_START = "QCALL_DATA=$(mktemp -d) scripts/run"
README_GRPC = "127.0.0.1:50051"
README_HTTP = "127.0.0.1:8080"
README_QCALL = "build/clients/cli/qcall"
BLOCK_TIMEOUT = 120  # seconds, for one block
SHOWN_LINES = 30  # of each command's output, in the log
MARKER = re.compile(r"^<!--\s*readme-test:\s*([\w-]+)(?:\s+[^>]*)?-->\s*$")
# An unmarked block doing this is a walk-through nobody tests.
LOOKS_TESTABLE = re.compile(
    r"clients/cli/qcall\b|\$q\b|scripts/buf\b|\$buf\b|QCALL_TOKEN|"
    + re.escape(README_GRPC))

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, flush=True)


# ---------------------------------------------------------------------------
# Reading README.md


class Block:
    def __init__(self, name, section, line, text):
        self.name, self.section, self.line, self.text = (
            name, section, line, text)


def read_blocks(path):
    """Returns the marked sh blocks, the unmarked sh blocks and the text of
    each section (heading -> text), from a Markdown file."""
    marked, unmarked, sections = [], [], {}
    lines = open(path, encoding="utf-8").read().split("\n")
    section, marker, i = "(top)", None, 0
    while i < len(lines):
        line = lines[i]
        sections.setdefault(section, []).append(line)
        fence = re.match(r"^(```+)\s*(\w*)", line)
        if fence:
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith(fence.group(1)):
                body.append(lines[i])
                i += 1
            sections[section].extend(body)
            if fence.group(2) in ("sh", "bash", "shell"):
                block = Block(marker, section, start, "\n".join(body))
                (marked if marker else unmarked).append(block)
            elif marker:
                fail(f"README.md:{start}: the readme-test marker '{marker}' "
                     "is not followed by a ```sh block")
            marker = None
            i += 1
            continue
        m = MARKER.match(line.strip())
        if m:
            marker = m.group(1)
        elif line.strip():
            if marker:
                fail(f"README.md:{i + 1}: the readme-test marker '{marker}' "
                     "must come right before its ```sh block")
            marker = None
            heading = re.match(r"^#+\s+(.*)", line)
            if heading:
                section = heading.group(1).strip()
        i += 1
    return marked, unmarked, {k: "\n".join(v) for k, v in sections.items()}


def split_comment(line):
    """Splits a shell line into its code and its trailing comment (a # that
    starts a word outside quotes)."""
    quote, i = None, 0
    while i < len(line):
        c = line[i]
        if quote == "'":
            if c == "'":
                quote = None
        elif c == "\\":
            i += 1
        elif quote == '"':
            if c == '"':
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t;"):
            return line[:i].rstrip(), line[i + 1:].strip()
        i += 1
    return line.rstrip(), ""


class Command:
    def __init__(self, line, code, comment):
        self.line, self.code, self.comment = line, code, comment
        self.exit = 0
        self.prints = []
        m = re.search(r"\bexit (\d+)\b", comment)
        if m:
            self.exit = int(m.group(1))
        m = re.search(r"\bprints\b|\bexit \d+:", comment)
        if m:
            self.prints = re.findall(r"`([^`]+)`", comment[m.end():])
        self.background = bool(re.search(r"(?<![&|>])&(?![&>])",
                                          strip_quoted(code)))


def strip_quoted(code):
    return re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", "''", code)


def parse_commands(block):
    """The block's commands: lines joined where they end in a backslash;
    comment lines and blank lines are the reader's, not commands."""
    commands, pending, first = [], "", 0
    for n, raw in enumerate(block.text.split("\n"), start=block.line + 1):
        if not pending:
            first = n
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
        if raw.endswith("\\"):
            pending += raw + "\n"
            continue
        code, comment = split_comment(raw)
        commands.append(Command(first, pending + code, comment))
        pending = ""
    if pending:
        fail(f"README.md:{first}: the block ends in a continued line")
    return commands


# ---------------------------------------------------------------------------
# Running a block


def start_qcalld(work):
    port_file = os.path.join(work, "ports")
    log = open(os.path.join(work, "qcalld.log"), "w")
    # As README's first session does: the journal is made once, explicitly.
    subprocess.run([QCALLD, "--data", os.path.join(work, "data"),
                    "--init-store"], check=True, stdout=log,
                   stderr=subprocess.STDOUT)
    server = subprocess.Popen(
        [QCALLD, "--config", os.path.join(ROOT, "demo", "halls.textproto"),
         "--data", os.path.join(work, "data"), "--listen", "127.0.0.1:0",
         "--http", "127.0.0.1:0", "--port-file", port_file],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.time() + 30
    while not os.path.exists(port_file):
        if time.time() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError("qcalld did not start; see "
                               + os.path.join(work, "qcalld.log"))
        time.sleep(0.05)
    with open(port_file) as f:
        grpc_port, http_port = f.read().split()
    return server, grpc_port, http_port


def session_members(sid):
    """The processes still in session sid, as (pid, command line). A session
    rather than a process group: timeout(1) moves into a group of its own."""
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
                left.append((int(pid), cmd.strip()))
        except (OSError, ValueError, IndexError):
            continue
    return left


def source_tree():
    """What the clone's top folder holds: where a command run from it would
    write (a printout, package.json and node_modules, a data folder)."""
    return set(os.listdir(ROOT))


def script_for(commands, out, grpc_port, http_port):
    lines = ["exec </dev/null"]
    for i, c in enumerate(commands):
        code = c.code.replace(README_GRPC, f"127.0.0.1:{grpc_port}")
        code = code.replace(README_HTTP, f"127.0.0.1:{http_port}")
        if QCALL != os.path.join(ROOT, README_QCALL):
            code = re.sub(r"(?<![\w/.])" + re.escape(README_QCALL) + r"\b",
                          QCALL, code)
        for port in re.findall(r"[\w.-]+:(?:50051|8080)\b", code):
            fail(f"README.md:{c.line}: {port} is not one of the addresses "
                 f"the test points at its server ({README_GRPC}, "
                 f"{README_HTTP})")
        # In the shell itself (no subshell), so that variables, functions and
        # $! carry over to the next command.
        lines.append(f"{{ {code}\n}} >'{out}/{i}.out' 2>&1; "
                     f"echo $? >'{out}/{i}.rc'")
    return "\n".join(lines) + "\n"


def run_block(block):
    commands = parse_commands(block)
    print(f"=== readme-test '{block.name}' (README.md:{block.line}, "
          f"section '{block.section}'): {len(commands)} commands", flush=True)
    if not commands:
        fail(f"block '{block.name}' has no commands")
        return
    work = tempfile.mkdtemp(prefix=f"qcall-readme-{block.name}-")
    out = os.path.join(work, "out")
    os.makedirs(out)
    before = source_tree()
    server, grpc_port, http_port = start_qcalld(work)
    shell = None
    try:
        script = os.path.join(work, "block.sh")
        with open(script, "w") as f:
            f.write(script_for(commands, out, grpc_port, http_port))
        env = dict(os.environ)
        for name in ("QCALL_SERVER", "QCALL_TOKEN", "QCALL_HALL",
                     "QCALL_WINDOW", "QCALL_CLERK"):
            env.pop(name, None)
        # A session of its own, so that whatever it leaves running is found.
        shell = subprocess.Popen(["bash", script], cwd=ROOT, env=env,
                                 stdin=subprocess.DEVNULL,
                                 start_new_session=True)
        try:
            shell.wait(timeout=BLOCK_TIMEOUT)
        except subprocess.TimeoutExpired:
            done = sum(os.path.exists(f"{out}/{i}.rc")
                       for i in range(len(commands)))
            stuck = commands[min(done, len(commands) - 1)]
            fail(f"block '{block.name}' did not end within {BLOCK_TIMEOUT} s; "
                 f"README.md:{stuck.line} was still running: {stuck.code}")
        # What the block killed has a few seconds to go.
        deadline = time.time() + 5
        left = session_members(shell.pid)
        while left and time.time() < deadline:
            time.sleep(0.1)
            left = session_members(shell.pid)
        if left:
            fail(f"block '{block.name}' left processes running: "
                 + "; ".join(f"{pid} {cmd}" for pid, cmd in left))
        for i, c in enumerate(commands):
            check(block, c, f"{out}/{i}")
    finally:
        if shell is not None:
            for pid, _ in session_members(shell.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            shell.poll()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    for path in sorted(source_tree() - before):
        fail(f"block '{block.name}' wrote {path} into the clone (left there)")
    if not failures:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"(kept {work}: the block's script, outputs and qcalld.log)")


def check(block, c, base):
    try:
        with open(base + ".out", encoding="utf-8", errors="replace") as f:
            printed = f.read()
    except OSError:
        printed = ""
    try:
        with open(base + ".rc") as f:
            status = int(f.read())
    except (OSError, ValueError):
        status = None
    where = f"README.md:{c.line}"
    print(f"$ {c.code}" + (f"   # {c.comment}" if c.comment else ""))
    if printed:
        lines = printed.rstrip("\n").split("\n")
        shown = lines[:SHOWN_LINES] + (
            [f"... ({len(lines) - SHOWN_LINES} more lines)"]
            if len(lines) > SHOWN_LINES else [])
        print("  | " + "\n  | ".join(shown))
    print(f"  -> exit {status}", flush=True)
    if status is None:
        fail(f"{where}: never ran: {c.code}")
        return
    if c.background:
        if c.exit:
            fail(f"{where}: a background command has no exit status to "
                 "check; say it on the command that ends it")
    elif status != c.exit:
        fail(f"{where}: exit {status}, README says {c.exit}: {c.code}")
    for text in c.prints:
        if text not in printed:
            said = printed.strip() or "(nothing)"
            if len(said) > 300:
                said = said[:300] + " ... (all of it in the log above)"
            fail(f"{where}: README says it prints '{text}'; it printed: "
                 + said)


# ---------------------------------------------------------------------------


def main():
    for path in (QCALLD, QCALL):
        if not os.access(path, os.X_OK):
            print(f"FAIL: {path} is not an executable")
            return 1
    marked, unmarked, sections = read_blocks(README)
    if not marked:
        fail("README.md has no block marked <!-- readme-test: NAME -->")
    names = [b.name for b in marked]
    for name in REQUIRED:
        if name not in names:
            fail(f"README.md has no walk-through marked "
                 f"<!-- readme-test: {name} -->")
    for name in set(n for n in names if names.count(n) > 1):
        fail(f"README.md has more than one block marked '{name}'")
    for b in unmarked:
        if LOOKS_TESTABLE.search(b.text):
            fail(f"README.md:{b.line}: this sh block (section '{b.section}') "
                 "runs qcall or buf but has no <!-- readme-test: NAME --> "
                 "marker, so nothing checks it")
    for b in marked:
        if FRESH_START not in sections.get(b.section, ""):
            fail(f"section '{b.section}' does not tell the reader to start "
                 f"from a fresh hall ({FRESH_START})")
    # Each block on a fresh server: each walk-through starts from a fresh
    # hall, whatever ran before it.
    for b in marked:
        run_block(b)
    if failures:
        print(f"\n{len(failures)} failure(s):")
        for f in failures:
            print("  " + f)
        return 1
    print(f"\nOK: {len(marked)} walk-through(s) of README.md: "
          + ", ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
