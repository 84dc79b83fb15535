"""Scale-out of the production layout (`make prod-up` must be running): Locust, headless, bounded,
against HAProxy over HTTPS, with a portal mix (login page, dashboard, planning, invoices, saving a
booking) by USERS simulated families. Prints, for one app instance (the other disabled in HAProxy)
then for two: requests per second, p50/p95/p99, failures, the most PostgreSQL backends seen (vs
the PgBouncer pool), and the CPU taken by the load generator. Then the kill check: during a run on
two instances, one gunicorn instance (master and workers) is killed with SIGKILL; prints the
requests lost, in all and after HAProxy marked it down.

    .venv/bin/pip install -e '.[bench]'; make prod-up
    .venv/bin/python bench/scale_out.py [--users 200] [--seconds 30]

Families log in by a session made here for each demo family login (the login form's proof of
work, ALTCHA, would measure the browser's puzzle, not the server); the login page itself is in
the mix. On 2 cores shared by everything (load generator included), no gain from the second
instance is expected: the figures show where the time goes.
"""

import argparse
import csv
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

SESSIONS = """
import django, json; django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django_scopes import scopes_disabled
from ribambelle.accounts.consent import consent_state, record_consents
from ribambelle.accounts.models import User
from ribambelle.families.models import Person
out = []
with scopes_disabled():
    for user in User.objects.filter(family__isnull=False, activated_at__isnull=False).select_related("organisation"):
        if not consent_state(user).personal:
            record_consents(user=user, personal=True, health=False)
        children = list(Person.objects.filter(family_id=user.family_id, role="child").values_list("pk", flat=True))
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "ribambelle.accounts.backends.OrganisationEmailBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        out.append({"session": session.session_key, "slug": user.organisation.slug, "children": children})
print(json.dumps(out))
"""

LOCUSTFILE = r"""
import json, os, random, re
from locust import HttpUser, between, task

FAMILIES = json.load(open(os.environ["SCALE_OUT_FAMILIES"]))
SHOWN = re.compile(r'name="shown" value="(\d+)"')
CHECKED = re.compile(r'<input[^>]*name="o"[^>]*value="(\d+)"[^>]*checked')


class Family(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self):
        self.client.verify = False
        self.family = random.choice(FAMILIES)
        self.client.cookies.set("sessionid", self.family["session"])
        self.base = "/" + self.family["slug"] + "/"

    @task(1)
    def login_page(self):
        self.client.get(self.base + "connexion/", name="connexion", cookies={"sessionid": ""})

    @task(4)
    def dashboard(self):
        self.client.get(self.base, name="tableau de bord")

    @task(3)
    def planning(self):
        if self.family["children"]:
            child = random.choice(self.family["children"])
            self.client.get(f"{self.base}reservations/enfant/{child}/", name="planning")
        else:
            self.client.get(self.base + "reservations/", name="planning")

    @task(1)
    def invoices(self):
        self.client.get(self.base + "mes-factures/", name="factures")

    @task(1)
    def save_booking(self):
        if not self.family["children"]:
            return
        child = random.choice(self.family["children"])
        url = f"{self.base}reservations/enfant/{child}/"
        page = self.client.get(url, name="planning")
        shown = SHOWN.findall(page.text)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not shown or not token:
            return
        wanted = set(CHECKED.findall(page.text)) ^ {random.choice(shown)}  # book or cancel one day
        self.client.post(
            url,
            data={"csrfmiddlewaretoken": token.group(1), "shown": shown, "o": sorted(wanted)},
            headers={"Referer": self.host + url},
            name="enregistrer une réservation",
        )
"""


def read_env() -> dict:
    prod_dir = Path(os.environ.get("PROD_DIR", ROOT / "var" / "prod"))
    env_file = prod_dir / "env"
    if not env_file.exists():
        sys.exit("make prod-up d'abord (var/prod/env absent)")
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    values["PROD_DIR"] = str(prod_dir)
    return values


def haproxy(command: str, prod_dir: str) -> str:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(f"{prod_dir}/haproxy.sock")
        sock.sendall(command.encode() + b"\n")
        return sock.recv(65536).decode()


def server_state(prod_dir: str, name: str) -> str:
    for line in haproxy("show stat", prod_dir).splitlines():
        fields = line.split(",")
        if len(fields) > 17 and fields[0] == "app" and fields[1] == name:
            return fields[17]
    return "?"


def wait_up(prod_dir: str, names=("web_a", "web_b"), timeout: float = 30) -> None:
    """Before a run: every instance UP in HAProxy (a startup's refused connection marks one down)."""
    deadline = time.monotonic() + timeout
    while not all(server_state(prod_dir, name).startswith("UP") for name in names):
        if time.monotonic() > deadline:
            sys.exit(f"instances not UP in HAProxy: {[server_state(prod_dir, n) for n in names]}")
        time.sleep(0.5)


def pg_backends(database: str) -> int:
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
         f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}' AND backend_type = 'client backend'"],
        capture_output=True, text=True,
    )  # fmt: skip
    return int(out.stdout.strip() or 0)


def run_locust(host: str, users: int, seconds: int, families: Path, work: Path, label: str, during=None) -> dict:
    prefix = work / label
    env = {**os.environ, "SCALE_OUT_FAMILIES": str(families), "PYTHONWARNINGS": "ignore"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen(
        [str(BIN / "locust"), "-f", str(work / "locustfile.py"), "--headless", "--host", host,
         "-u", str(users), "-r", str(max(users // 5, 1)), "-t", f"{seconds}s", "--stop-timeout", "5",
         "--csv", str(prefix), "--csv-full-history", "--only-summary", "--loglevel", "ERROR"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    peak = [0]
    database = read_env()["DATABASE_URL"].rsplit("/", 1)[1]

    def sample():
        while process.poll() is None:
            peak[0] = max(peak[0], pg_backends(database))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    extra = during(started) if during else None
    process.wait()
    wall = time.monotonic() - started
    sampler.join(2)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(f"{prefix}_stats.csv") as handle:
        total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    return {
        "label": label,
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50": total["50%"],
        "p95": total["95%"],
        "p99": total["99%"],
        "pg_backends_max": peak[0],
        "load_generator_cpu": cpu / wall,
        "history": f"{prefix}_stats_history.csv",
        "extra": extra,
    }


def gunicorn_pids(name: str) -> list[int]:
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            parts = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            any(part.endswith(b"gunicorn") for part in parts)
            and name.encode() in parts
            and b"forever" not in b" ".join(parts)
        ):
            pids.append(int(cmdline.parent.name))
    return pids


def failures_after(history: str, moment: float) -> int:
    """Failures counted after `moment` (a Unix time), from Locust's per-second history."""
    rows = list(csv.DictReader(open(history)))
    rows = [r for r in rows if r["Name"] == "Aggregated"]
    before = [r for r in rows if float(r["Timestamp"]) <= moment]
    last_before = int(before[-1]["Total Failure Count"]) if before else 0
    return int(rows[-1]["Total Failure Count"]) - last_before if rows else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    env = read_env()
    prod_dir = env["PROD_DIR"]
    host = env["SITE_URL"]
    pool = int(os.environ.get("PROD_POOL_SIZE", "20"))
    work = Path(tempfile.mkdtemp(prefix="scale-out-"))
    (work / "locustfile.py").write_text(LOCUSTFILE)
    app_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "ribambelle.config.settings"}
    made = subprocess.run([sys.executable, "-c", SESSIONS], cwd=ROOT, env=app_env, capture_output=True, text=True)
    if made.returncode:
        sys.exit(made.stderr)
    families = work / "families.json"
    families.write_text(made.stdout.strip().splitlines()[-1])
    print(f"{len(json.loads(families.read_text()))} demo family logins; {args.users} users, {args.seconds} s per run")
    print(f"uptime: {os.getloadavg()}")

    results = []
    wait_up(prod_dir)
    haproxy("disable server app/web_b", prod_dir)
    try:
        results.append(run_locust(host, args.users, args.seconds, families, work, "1 instance"))
    finally:
        haproxy("enable server app/web_b", prod_dir)
    wait_up(prod_dir)
    results.append(run_locust(host, args.users, args.seconds, families, work, "2 instances"))

    def kill_b(started):
        time.sleep(args.seconds / 3)
        pids = gunicorn_pids("ribambelle-web-b")
        killed_at = time.time()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        down_at = None
        while time.monotonic() - started < args.seconds:
            if down_at is None and server_state(prod_dir, "web_b").startswith("DOWN"):
                down_at = time.time()
            time.sleep(0.1)
        return {"killed": len(pids), "killed_at": killed_at, "down_at": down_at}

    wait_up(prod_dir)
    killed = run_locust(host, args.users, args.seconds, families, work, "2 instances, one killed", during=kill_b)
    results.append(killed)

    print(
        f"\n{'run':<26} {'req':>6} {'fail':>5} {'rps':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'PG max':>7} {'gen CPU':>8}"
    )
    for r in results:
        print(
            f"{r['label']:<26} {r['requests']:>6} {r['failures']:>5} {r['rps']:>7.1f} {r['p50']:>6} {r['p95']:>6} "
            f"{r['p99']:>6} {r['pg_backends_max']:>7} {r['load_generator_cpu']:>7.2f}c"
        )
    info = killed["extra"]
    lost = killed["failures"] / max(killed["requests"], 1) * 100
    after_down = failures_after(killed["history"], info["down_at"] + 1) if info["down_at"] else None
    print(
        f"\nkill check: {info['killed']} gunicorn processes of web_b killed; HAProxy marked it down "
        f"{(info['down_at'] - info['killed_at']) if info['down_at'] else float('nan'):.1f} s later; "
        f"requests lost {killed['failures']} of {killed['requests']} ({lost:.2f} %, target < 1 %); "
        f"failures after it was marked down (+1 s): {after_down}"
    )
    print(
        f"PostgreSQL backends at most {max(r['pg_backends_max'] for r in results)} "
        f"(PgBouncer pool {pool}; includes this script's own psql sampling connection)"
    )
    print(f"uptime after: {os.getloadavg()} · CSV in {work}")


if __name__ == "__main__":
    main()
