"""(m) compaction (issue 17 part 6): three replicas make 1,000 annotations on one article,
edit each 50 times in turn and delete a fifth of them; then the server's and a replica's
change counts and file sizes before and after compaction, how long compaction takes on the
server and on the replica, and what it does to a new replica's first sync (by replay and
from a snapshot) and to snapshot builds, each time against the bare insert (bare_insert.py)
of the same changes in the same run."""

from __future__ import annotations

import datetime
import json
import os
import random
import sqlite3
import time

from bench_suite.bare_insert import bare_insert_median_seconds
from bench_suite.client import CORPUS
from bench_suite.figures import cpu_share, met, mib, ratio, secs
from bench_suite.longpoll import CHANGES_PATH, Connection, headers, new_replica
from bench_suite.measure import run, run_measured
from bench_suite.report import Row, WorkloadFailed, log
from bench_suite.servers import ServerSet
from glossproc import processes
from glossproc.server import Storage

WRITERS = 3
BATCH = 1000                       # changes per push, as the client sends them
DELETED_EVERY = 5                  # every fifth annotation is deleted at the end: 20%
DEVICES = 3                        # new replicas per kind of first sync; the median's time is the figure
BASE_WALL_MS = 1764547200000       # 2025-12-01T00:00:00Z; every change one millisecond after the one before
STORED_PER_LIVE_TARGET = 2         # issue 17: at most 2 changes per live entity (a target: a status, not a check)
# Compaction only when the workload runs it (serve compacts every hour by default).
SERVE_ARGS = ("--compact-every", "never")
SYLLABLES = ("ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "an", "el", "or", "ul", "ba", "che", "sim",
             "tor", "ven", "gar", "lin", "mur", "qua", "zel", "fen")
LABELS = ("PER", "LOC", "ORG", "CLAIM")


def compaction_workload(bench):
    s = bench.sizes
    plan = Plan(s.compaction_annotations, s.compaction_edits, random.Random(17))
    jsonl = bench.path("m-changes.jsonl")
    plan.write_jsonl(jsonl)
    bare, counted = bare_insert_median_seconds(jsonl, bench.path("m-bare.sqlite"))
    bare_bytes = os.path.getsize(bench.path("m-bare.sqlite"))   # after the last run's close: checkpointed, no WAL
    bench.report.check(counted == plan.total, f"(m) the bare insert read {counted} changes, expected {plan.total}")
    storage = Storage(data_dir=bench.path("m-server"))
    with ServerSet(bench, storage, 1, "m-server", SERVE_ARGS) as (server,):
        results = measure(bench, server, storage, plan)
    # The stopped server's store, checked whole (integrity, positions and seqs as compaction
    # leaves them, every change readable).
    checked = processes.run([os.path.join(bench.bin_dir, "gloss-server"), "check", *storage.args], check=False)
    bench.report.check(checked.returncode == 0, f"(m) `gloss-server check` of the compacted store exited "
                                                f"{checked.returncode}: {(checked.stdout + checked.stderr)[-1500:]}")
    results.update(bare=bare, bare_bytes=bare_bytes)
    add_rows(bench, plan, results)


class Plan:
    """Every change of the run, made in rounds by the three writers: the article and the
    annotations, then `edits` rounds in which writer (i + round) % 3 edits annotation i on
    top of its previous version (its clock the previous clock with the writer's new seq,
    replacing the previous dot: a steady, conflict-free edit workload), then a last round
    deleting every fifth annotation."""

    def __init__(self, annotations, edits, rng):
        self.annotations, self.edits = annotations, edits
        self.writers = [new_replica(rng) for _ in range(WRITERS)]
        self.seqs = [0] * WRITERS
        self.latest = {}              # entity -> its latest change
        self.wall = BASE_WALL_MS
        self.rng = rng
        self.text, spans = article_text(rng, max(300, annotations + annotations // 2))
        self.article = "".join(rng.choice("0123456789abcdef") for _ in range(32))
        self.ids = [new_replica(rng).lower() for _ in range(annotations)]
        self.spans = [spans[i * len(spans) // annotations] for i in range(annotations)]
        self.deleted = set(range(0, annotations, DELETED_EVERY))
        self.rounds = self._rounds()
        self.total = sum(len(changes) for round_ in self.rounds for changes in round_)

    @property
    def live_annotations(self):
        return self.annotations - len(self.deleted)

    @property
    def stored_after(self):
        """What the server keeps: each entity's earliest version (its created time) and its
        last (a deleted annotation's: its tombstone); the article has only one."""
        return 1 + 2 * self.annotations

    @property
    def client_after(self):
        """What `gloss compact` keeps: the same."""
        return self.stored_after

    def _rounds(self):
        """[round: [changes of writer 0, of writer 1, of writer 2]], each writer's in seq order."""
        rounds = []
        pending = [[] for _ in range(WRITERS)]

        def close_round():
            rounds.append([list(changes) for changes in pending])
            for changes in pending:
                changes.clear()

        pending[0].append(self._change(0, "article", self.article, {
            "date": "2025-12", "language": "en", "tags": ["bench"], "text": self.text,
            "title": "Compaction bench: a generated article"}))
        for i in range(self.annotations):
            pending[i % WRITERS].append(self._change(i % WRITERS, "annotation", self.ids[i],
                                                     self.annotation_content(i, 0, i % WRITERS)))
        close_round()
        for version in range(1, self.edits + 1):
            for i in range(self.annotations):
                writer = (i + version) % WRITERS
                pending[writer].append(self._change(writer, "annotation", self.ids[i],
                                                    self.annotation_content(i, version, i % WRITERS)))
            close_round()
        for i in sorted(self.deleted):
            writer = (i + self.edits + 1) % WRITERS
            pending[writer].append(self._change(writer, "annotation", self.ids[i], None))
        close_round()
        return rounds

    def _change(self, writer, kind, entity, content):
        """The writer's next change of `entity`: a put of `content`, or a delete when None."""
        replica = self.writers[writer]
        self.seqs[writer] += 1
        self.wall += 1
        previous = self.latest.get(entity)
        clock = dict(previous["clock"]) if previous else {}
        clock[replica] = self.seqs[writer]
        change = {"clock": dict(sorted(clock.items())), "entity": entity, "kind": kind,
                  "op": "put" if content is not None else "delete",
                  "replaces": [f"{previous['replica']}:{previous['seq']}"] if previous else [],
                  "replica": replica, "seq": self.seqs[writer], "time": f"{self.wall}.0"}
        if content is not None:
            change["content"] = content
        self.latest[entity] = change
        return change

    def annotation_content(self, i, version, creator):
        start, end = self.spans[i]
        created = datetime.datetime.fromtimestamp((BASE_WALL_MS + 2 + i) / 1000, datetime.UTC)
        words = " ".join(self.rng.choice(SYLLABLES) + self.rng.choice(SYLLABLES) for _ in range(8))
        return {"article": self.article, "author": f"writer{creator}",
                "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "label": LABELS[(i + version) % len(LABELS)],
                "note": self.note(i, version, words),
                "tags": sorted({"bench", f"round-{version % 7}"}),
                "target": {"end": end, "exact": self.text[start:end], "prefix": self.text[max(0, start - 32):start],
                           "start": start, "suffix": self.text[end:end + 32]}}

    def extra_edit(self):
        """One more edit, of the second annotation (a live one) by the first writer."""
        return self._change(0, "annotation", self.ids[1], self.annotation_content(1, self.edits + 1, 1 % WRITERS))

    @staticmethod
    def note(i, version, words):
        return f"Annotation {i + 1}, version {version}: {words}."

    def expected_export(self):
        """{(type, id): note or None} of what every replica must show at the end."""
        shown = {("article", self.article): None}
        for i, entity in enumerate(self.ids):
            if i not in self.deleted:
                shown[("annotation", entity)] = self.latest[entity]["content"]["note"]
        return shown

    def write_jsonl(self, path):
        """The changes as the bare insert takes them: one line each, with its dot as the id."""
        with open(path, "w", encoding="utf-8") as f:
            for round_ in self.rounds:
                for changes in round_:
                    for change in changes:
                        f.write(json.dumps({"id": f"{change['replica']}:{change['seq']}", **change},
                                           sort_keys=True, separators=(",", ":")) + "\n")


def article_text(rng, words):
    """A generated article of `words` words in sentences and paragraphs, and the (start, end)
    of every one- to three-word span that begins a word, in order (offsets in Unicode scalars:
    the text is ASCII)."""
    parts, starts, position, count = [], [], 0, 0
    while count < words:
        for sentence in range(rng.randint(4, 6)):
            length = rng.randint(6, 14)
            for index in range(length):
                word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))
                if index == 0:
                    word = word.capitalize()
                if index or sentence:
                    parts.append(" ")
                    position += 1
                starts.append((position, len(word)))
                parts.append(word)
                position += len(word)
                count += 1
            parts.append(".")
            position += 1
        parts.append("\n\n")
        position += 2
    text = "".join(parts)
    spans = []
    for number, (start, _) in enumerate(starts):
        last = starts[min(number + number % 3, len(starts) - 1)]
        spans.append((start, last[0] + last[1]))
    return text, spans


class Writer:
    """One writing replica's keep-alive connection: pushes of its crafted changes, and pulls.
    Once it has pulled at a position (`seen`: after, epoch), its pushes say so, as a
    compacted corpus requires."""

    def __init__(self, server, replica, user):
        self.replica = replica
        self.seen = None
        self.connection = Connection(server.url)
        self.headers = headers(server.token(user))

    def push(self, changes):
        for start in range(0, len(changes), BATCH):
            batch = changes[start:start + BATCH]
            seen = dict(zip(("after", "epoch"), self.seen, strict=True)) if self.seen else {}
            body = json.dumps({"replica": self.replica, "changes": batch, **seen}, sort_keys=True,
                              separators=(",", ":")).encode()
            status, answer = self.connection.request("POST", CHANGES_PATH, body, self.headers)
            if status != 200 or json.loads(answer).get("stored") != len(batch):
                raise WorkloadFailed(f"(m) a push of {len(batch)} changes of {self.replica} answered {status}: "
                                     f"{answer[:500]!r}")

    def pull(self, query):
        status, answer = self.connection.request("GET", f"{CHANGES_PATH}?{query}", None, self.headers)
        if status != 200:
            raise WorkloadFailed(f"(m) a pull ?{query} answered {status}: {answer[:500]!r}")
        return json.loads(answer)

    def close(self):
        self.connection.close()


def measure(bench, server, storage, plan):
    r = {}
    writers = [Writer(server, replica, f"writer{number}") for number, replica in enumerate(plan.writers)]
    log(f"(m) pushing {plan.total:,} changes: {plan.annotations:,} annotations × {plan.edits} edits by "
        f"{WRITERS} writers, {len(plan.deleted)} deleted")
    for round_ in plan.rounds:
        for writer, changes in zip(writers, round_, strict=True):
            writer.push(changes)
    corpus = corpus_listing(server)
    bench.report.check(corpus["changes"] == plan.total and corpus["latestPosition"] == plan.total,
                       f"(m) the server stores {corpus}, expected {plan.total} changes")
    r["db_before"] = server_database(storage)
    expected = plan.expected_export()

    # Before compaction: new replicas by replay (the first, C, stays for the client's
    # compaction), a snapshot, new replicas from it.
    r["replay_before"], replayed = new_replicas(bench, server, "replay-before", plan.total, expected, snapshot=False)
    store_c = replayed[0]
    reference = bench.gloss.export_jsonl(store_c)
    r["replica_before"] = replica_figures(bench, store_c)
    r["snapshot_before"] = snapshot_create(bench, storage, plan.total, "before compaction")
    r["from_snapshot_before"], from_snapshot = new_replicas(bench, server, "snapshot-before", plan.total, expected,
                                                            snapshot=True)
    stores = replayed + from_snapshot

    # Every replica at the latest position, so that the horizon is there; then the server
    # compacts, serving meanwhile.
    latest = everyone_at_latest(bench, server, writers, stores, plan.total, pulled=0)
    compacted = compact(bench, storage)
    r["compacted"] = compacted
    first = compacted.json()
    check_compaction(bench, "the compaction", first, dict(
        horizon=latest, floorBefore=0, floorAfter=latest, storedBefore=plan.total, storedAfter=plan.stored_after,
        dropped=plan.total - plan.stored_after, entities=1 + plan.annotations))
    corpus = corpus_listing(server)
    bench.report.check(corpus["changes"] == plan.stored_after and corpus["floor"] == latest,
                       f"(m) after compaction the server lists {corpus}, expected {plan.stored_after} changes and "
                       f"floor {latest}")
    r["db_after"] = server_database(storage)

    # After compaction: new replicas by replay; each must show what C (which replayed the
    # whole log) shows.
    r["replay_after"], replayed_after = new_replicas(bench, server, "replay-after", plan.stored_after, expected,
                                                     snapshot=False, reference=reference)
    r["replica_replayed_after"] = replica_figures(bench, replayed_after[0])
    # The snapshot right after: compaction deletes a snapshot below the floor; the one built
    # above sits at the floor, so it may be kept (with every version it was built from).
    deleted = first.get("snapshotDeleted") is True
    r["snapshot_deleted"] = deleted
    r["snapshot_right_after"] = snapshot_create(bench, storage, plan.stored_after if deleted else plan.total,
                                                "right after compaction", built=deleted)
    r["from_snapshot_right_after"], right_after = new_replicas(
        bench, server, "snapshot-right-after", plan.stored_after if deleted else plan.total, expected, snapshot=True,
        reference=reference, devices=1)
    stores += replayed_after + right_after

    # The writers go on: one more edit; every replica pulls it and the server compacts
    # again: the floor now passes any snapshot built before, which it deletes, and
    # `snapshot create` builds one of the compacted log.
    writers[0].push([plan.extra_edit()])
    expected = plan.expected_export()
    latest = everyone_at_latest(bench, server, writers, stores, plan.total + 1, pulled=1)
    again = compact(bench, storage)
    r["compacted_again"] = again
    check_compaction(bench, "the second compaction", again.json(), dict(
        horizon=latest, floorBefore=latest - 1, floorAfter=latest, storedBefore=plan.stored_after + 1,
        storedAfter=plan.stored_after, dropped=1, entities=1, snapshotDeleted=True))
    reference = bench.gloss.export_jsonl(store_c)
    r["snapshot_after"] = snapshot_create(bench, storage, plan.stored_after, "after the second compaction")
    r["from_snapshot_after"], _ = new_replicas(bench, server, "snapshot-after", plan.stored_after, expected,
                                               snapshot=True, reference=reference)

    # Client compaction on C: one sync learns the floor, then gloss compact.
    learned = bench.gloss.sync(store_c).json()
    bench.report.check(learned.get("pulled") == 0 and learned.get("rebuild") is None,
                       f"(m) replica C's sync after the server's compaction reported {learned}")
    r["replica_c_before"] = replica_figures(bench, store_c)
    client = run_measured(bench.gloss.cmd("compact", "--json", "--store", store_c))
    r["client_compacted"] = client
    r["replica_c_after"] = replica_figures(bench, store_c)
    check_client_compaction(bench, plan, client.json(), r["replica_c_before"], r["replica_c_after"], latest)
    bench.report.check(bench.gloss.export_jsonl(store_c) == reference,
                       "(m) replica C exports other JSONL after `gloss compact` than before")
    doctor = processes.run(bench.gloss.cmd("doctor", "--store", store_c), check=False)
    bench.report.check(doctor.returncode == 0, f"(m) `gloss doctor` on replica C after `gloss compact` exited "
                                               f"{doctor.returncode}: {(doctor.stdout + doctor.stderr)[-1500:]}")
    for writer in writers:
        writer.close()
    return r


def everyone_at_latest(bench, server, writers, stores, latest, pulled):
    """Brings every replica to the latest position, so that the horizon is there: each
    client replica syncs (pulling `pulled` changes), then once more with nothing new (whose
    pull names the cursor it holds and its epoch); each writer pulls at the latest position
    naming itself and the epoch. Returns the latest position once `replicas list` shows the
    horizon there."""
    for store in stores:
        for expect in ([pulled, 0] if pulled else [0]):
            summary = bench.gloss.sync(store).json()
            bench.report.check(summary.get("pulled") == expect and summary.get("pushed") == 0,
                               f"(m) a sync of {os.path.basename(store)} reported {summary}, expected {expect} pulled "
                               "and nothing pushed")
    first = writers[0].pull("after=0&limit=1")
    bench.report.check(first["latest"] == latest, f"(m) the latest position is {first['latest']}, expected {latest}")
    for writer in writers:
        page = writer.pull(f"after={latest}&exclude={writer.replica}&epoch={first['epoch']}")
        bench.report.check(page["changes"] == [] and page["cursor"] == latest,
                           f"(m) a pull at the latest position {latest} answered a page of {len(page['changes'])} "
                           f"changes, cursor {page['cursor']}")
        writer.seen = (latest, first["epoch"])
    wait_for_horizon(server, latest, len(writers) + len(stores))
    return latest


def compact(bench, storage):
    log("(m) gloss-server compact")
    return run_measured([os.path.join(bench.bin_dir, "gloss-server"), "compact", "--corpus", CORPUS, *storage.args,
                         "--json"])


def corpus_listing(server):
    """The bench corpus in `gloss-server corpus list --json`: changes, latestPosition, floor."""
    listing = json.loads(server.admin.run("corpus", "list", "--json").stdout)
    for corpus in listing["corpora"]:
        if corpus["name"] == CORPUS:
            return corpus
    raise WorkloadFailed(f"`gloss-server corpus list --json` does not list corpus {CORPUS}: {listing}")


def server_database(storage):
    """The server's SQLite store: bytes on disk (file + WAL), and its pages: all, free."""
    path = os.path.join(storage.data_dir, "gloss.sqlite")
    on_disk = sum(os.path.getsize(path + suffix) for suffix in ("", "-wal") if os.path.exists(path + suffix))
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        page_size, pages, free = (db.execute(f"PRAGMA {name}").fetchone()[0]
                                  for name in ("page_size", "page_count", "freelist_count"))
    finally:
        db.close()
    return dict(on_disk=on_disk, file=os.path.getsize(path), pages=pages * page_size, free=free * page_size)


def file_bytes(store):
    """A replica's size on disk: the file and whatever WAL it left."""
    return sum(os.path.getsize(store + suffix) for suffix in ("", "-wal") if os.path.exists(store + suffix))


def replica_figures(bench, store):
    status = json.loads(run(bench.gloss.cmd("status", "--json", "--store", store)))
    return dict(changes=status["changes"], bytes=file_bytes(store))


def new_replicas(bench, server, label, changes, expected, snapshot, reference=None, devices=DEVICES):
    """`devices` new replicas' first syncs (init + remote set, then `gloss sync`, from the
    snapshot or by replay with --no-snapshot): the median's measurement (with the highest
    peak RSS of them) and the stores. Each must hold `changes` changes and show `expected`
    (and export the same JSONL as `reference`, when given)."""
    count, devices = devices, []
    for number in range(count):
        store = bench.path(f"m-{label}-{number}.gloss")
        bench.gloss.fresh_replica(store, server.url, server.token(f"{label}-{number}"), name=f"{label}-{number}")
        args = ["sync", "--json", "--store", store] + ([] if snapshot else ["--no-snapshot"])
        devices.append((run_measured(bench.gloss.cmd(*args)), store))
    for measured, store in devices:
        name, summary = os.path.basename(store), measured.json()
        used = summary.get("snapshot") or {}
        if snapshot:
            bench.report.check(used.get("used") is True and used.get("changes") == changes,
                               f"(m) {name}'s first sync did not adopt a {changes}-change snapshot: {summary}")
        else:
            bench.report.check(summary.get("snapshot") is None and summary.get("pulled") == changes,
                               f"(m) {name}'s first sync by replay reported {summary}, expected {changes} pulled")
        held = replica_figures(bench, store)["changes"]
        bench.report.check(held == changes, f"(m) {name} holds {held} changes, expected {changes}")
        export = bench.gloss.export_jsonl(store)
        check_export(bench, name, export, expected)
        if reference is not None:
            bench.report.check(export == reference, f"(m) {name} exports other JSONL than replica C")
    ordered = sorted(devices, key=lambda device: device[0].seconds)
    median = ordered[len(ordered) // 2][0]
    median.maxrss_kib = max(device[0].maxrss_kib for device in devices)
    return median, [store for _, store in devices]


def check_export(bench, name, export, expected):
    """The replica shows the article and every live annotation with its last note, nothing else."""
    shown = {}
    for line in export.splitlines():
        item = json.loads(line)
        shown[(item["type"], item["id"])] = item.get("note")
    missing = [key for key in expected if key not in shown]
    extra = [key for key in shown if key not in expected]
    wrong = [key for key, note in expected.items() if key in shown and shown[key] != note]
    bench.report.check(not missing and not extra and not wrong,
                       f"(m) {name} shows other entries than the three writers left: {len(missing)} missing, "
                       f"{len(extra)} extra (deleted ones among them?), {len(wrong)} with another note than the last "
                       f"(first: {(missing + extra + wrong)[:3]})")


def snapshot_create(bench, storage, changes, when, built=True):
    """`gloss-server snapshot create`, which must build a whole new snapshot of `changes`
    changes (or, not `built`, find the one there up to date)."""
    created = run_measured([os.path.join(bench.bin_dir, "gloss-server"), "snapshot", "create", "--corpus", CORPUS,
                            *storage.args, "--json"])
    snapshot = created.json()
    bench.report.check(snapshot.get("built") is built and snapshot.get("changes") == changes
                       and snapshot.get("incremental") is False,
                       f"(m) `gloss-server snapshot create` {when} reported {snapshot}, expected "
                       + (f"a new snapshot of {changes} changes" if built else f"the snapshot of {changes} up to date"))
    return created


def wait_for_horizon(server, latest, replicas, timeout=30):
    """Waits until `replicas list` shows the horizon at `latest` with `replicas` active
    replicas, each having seen `latest` (sightings are written every second)."""
    deadline = time.monotonic() + timeout
    while True:
        report = json.loads(server.admin.run("replicas", "list", "--corpus", CORPUS, "--json").stdout)
        active = [replica for replica in report["replicas"] if replica.get("active")]
        if (report["horizon"] == report["latestPosition"] == latest and len(active) == replicas
                and all(replica["pulledPosition"] == latest for replica in active)):
            return report
        if time.monotonic() > deadline:
            raise WorkloadFailed(f"(m) after {timeout} s the horizon is {report['horizon']} (latest position "
                                 f"{report['latestPosition']}, expected {latest}) with {len(active)} active replicas "
                                 f"(expected {replicas}): {json.dumps(report)[:1500]}")
        time.sleep(0.25)


def check_compaction(bench, what, report, expected):
    expected = dict(ran=True, busy=False, **expected)
    wrong = {key: report.get(key) for key, value in expected.items() if report.get(key) != value}
    bench.report.check(not wrong, f"(m) `gloss-server compact --json` of {what} reported {report}; expected {expected} "
                                  f"(different: {wrong})")


def check_client_compaction(bench, plan, summary, before, after, floor):
    compaction = summary.get("compaction") or {}
    held = plan.total + 1   # with the edit made after the first compaction
    dropped = held - plan.client_after
    bench.report.check(summary.get("compacted") is True and compaction.get("dropped") == dropped
                       and compaction.get("floor") == floor and compaction.get("keptConcurrent") == 0,
                       f"(m) `gloss compact --json` on replica C reported {summary}; expected {dropped} dropped "
                       f"below the floor {floor}")
    bench.report.check(before["changes"] == held and after["changes"] == plan.client_after,
                       f"(m) replica C held {before['changes']} changes before `gloss compact` and "
                       f"{after['changes']} after, expected {held} and {plan.client_after}")


def add_rows(bench, plan, r):
    bare, bare_bytes = r["bare"], r["bare_bytes"]
    total, after = plan.total, plan.stored_after
    deleted, live = len(plan.deleted), 1 + plan.live_annotations
    base = f"{secs(bare)} bare insert of the {total:,} changes"

    def kib(size):
        return size / 1024

    def against(seconds, before):
        """Baseline and ratio cells of an after-compaction time: the bare insert, and before."""
        return (f"{secs(bare)} bare insert; {secs(before)} before",
                f"{ratio(seconds, bare)} ({ratio(seconds, before)} before)")

    report = r["compacted"].json()
    per_entity = report["storedAfter"] / (1 + plan.annotations)
    # Each deleted annotation keeps its earliest version and its tombstone (two rows), so
    # what the live entities keep is the rest.
    per_live = (report["storedAfter"] - 2 * deleted) / live
    bench.report.add(Row(
        "(m)", f"changes the server stores, before → after `gloss-server compact`, {plan.annotations:,} annotations × "
               f"{plan.edits} edits, {deleted:,} deleted",
        f"{report['storedBefore']:,} → {report['storedAfter']:,}",
        baseline=f"{live:,} live entities + {deleted:,} deleted",
        ratio=f"{per_entity:.2f} per entity ({per_live:.2f} per live entity, {2:.2f} per deleted one)",
        target=f"≤ {STORED_PER_LIVE_TARGET} per entity, live or deleted",
        status=met(per_entity <= STORED_PER_LIVE_TARGET),
        note=f"three writers (raw HTTP pushes of crafted changes in batches of ≤{BATCH:,}): 1 article of "
             f"{len(plan.text):,} characters and {plan.annotations:,} annotations on it, each edited {plan.edits} "
             f"times by the three in turn (each edit's clock dominates the version it replaces: no conflicts), then "
             f"every {DELETED_EVERY}th deleted: {total:,} changes; every replica (the writers and the new replicas "
             f"below) had pulled the latest position, so the horizon was {report['horizon']:,}; dropped "
             f"{report['dropped']:,}, kept each entity's earliest version (its created time, which every replica "
             f"shows as the least time of the versions it holds) and its last (a deleted annotation's: its "
             f"tombstone, which a replica rebuilt after an offline edit needs to show the edit-versus-delete conflict)",
        bound="what compaction may drop: every version below the horizon that a later one there supersedes"))
    before_db, after_db = r["db_before"], r["db_after"]
    bench.report.add(Row(
        "(m)", "server database file (gloss.sqlite + WAL), before → after compaction",
        f"{mib(kib(before_db['on_disk']))} → {mib(kib(after_db['on_disk']))}",
        baseline=f"{mib(kib(bare_bytes))} bare insert file",
        ratio=f"{ratio(before_db['on_disk'], bare_bytes)} → {ratio(after_db['on_disk'], bare_bytes)}",
        note=f"pages in use {mib(kib(before_db['pages'] - before_db['free']))} → "
             f"{mib(kib(after_db['pages'] - after_db['free']))}; after compaction "
             f"{mib(kib(after_db['free']))} of the file are free pages, which SQLite reuses for later changes "
             f"(compaction does not VACUUM, so the file does not shrink); of it WAL "
             f"{mib(kib(before_db['on_disk'] - before_db['file']))} → "
             f"{mib(kib(after_db['on_disk'] - after_db['file']))}",
        bound="SQLite keeps freed pages in the file; the changes table and its indexes hold the rest"))
    compacted, again = r["compacted"], r["compacted_again"]
    bench.report.add(Row(
        "(m)", f"gloss-server compact, {total:,} → {after:,} changes", secs(compacted.seconds),
        baseline=base, ratio=ratio(compacted.seconds, bare),
        note=f"whole process, the server serving meanwhile; its own figure {secs(report['seconds'])}; looked at "
             f"{report['entities']:,} entities, dropped {report['dropped']:,}; peak RSS {mib(compacted.maxrss_kib)}. "
             f"Compacting again after one more edit (below): {secs(again.seconds)} (looks only at entities changed "
             f"since)",
        bound=f"CPU {cpu_share(compacted.cpu, compacted.seconds)} of wall: one transaction per 300 entities reading "
              "each one's stored clocks and deleting the superseded versions from the changes table and its indexes"))
    replay_before, replay_after = r["replay_before"], r["replay_after"]
    bench.report.add(Row(
        "(m)", f"first sync of a new replica by replaying the log (--no-snapshot), before compaction: "
               f"{total:,} changes",
        secs(replay_before.seconds), baseline=base, ratio=ratio(replay_before.seconds, bare),
        note=f"median of {DEVICES} new replicas (init + remote set, then `gloss sync --no-snapshot`, "
             f"{replay_before.json().get('requests')} requests); client peak RSS {mib(replay_before.maxrss_kib)}",
        bound=f"client CPU {cpu_share(replay_before.cpu, replay_before.seconds)} of wall: every version of every "
              "annotation applied (log append, frontier, the annotation's row, search entry and placement replaced); "
              "perf of one such replay: about half of the CPU in SQLite statements, and half of that in "
              "sqlite3VtabSavepoint: once a page's transaction has written the FTS5 search table, every later "
              "statement that opens a statement savepoint (an annotation row's insert, a log append) makes FTS5 "
              "flush its pending terms into a new segment; the other thread parses and checks pages (~14%)"))
    baseline, ratios = against(replay_after.seconds, replay_before.seconds)
    bench.report.add(Row(
        "(m)", f"first sync of a new replica by replaying the log (--no-snapshot), after compaction: "
               f"{after:,} changes",
        secs(replay_after.seconds), baseline=baseline, ratio=ratios,
        note=f"median of {DEVICES}; each shows exactly what a replica that replayed the whole log shows (same JSONL "
             f"export); client peak RSS {mib(replay_after.maxrss_kib)}",
        bound=f"process start-up and {replay_after.json().get('requests')} requests (pages of ≤1,000 changes) of "
              "each entity's earliest and last versions"))
    replica_before, replayed_after = r["replica_before"], r["replica_replayed_after"]
    bench.report.add(Row(
        "(m)", "replica file after a first sync by replay, before → after compaction",
        f"{mib(kib(replica_before['bytes']))} → {mib(kib(replayed_after['bytes']))}",
        baseline=f"{mib(kib(bare_bytes))} bare insert file",
        ratio=f"{ratio(replica_before['bytes'], bare_bytes)} → {ratio(replayed_after['bytes'], bare_bytes)}",
        note=f"{replica_before['changes']:,} → {replayed_after['changes']:,} changes in the replica's log "
             "(`gloss status --json`)",
        bound="the change log (every version's full content) and its indexes"))
    snapshot_before, from_before = r["snapshot_before"], r["from_snapshot_before"]
    bench.report.add(Row(
        "(m)", f"gloss-server snapshot create, before compaction: {total:,} changes", secs(snapshot_before.seconds),
        baseline=base, ratio=ratio(snapshot_before.seconds, bare),
        note=f"snapshot {mib(kib(snapshot_before.json()['bytes']))}; process peak RSS "
             f"{mib(snapshot_before.maxrss_kib)}",
        bound=f"CPU {cpu_share(snapshot_before.cpu, snapshot_before.seconds)} of wall: the client's own pull code "
              "applying every stored change into a new replica file (as the replay above, FTS5 flushes included), "
              "then VACUUM INTO"))
    bench.report.add(Row(
        "(m)", f"first sync of a new replica from the snapshot, before compaction: {total:,} changes",
        secs(from_before.seconds), baseline=base, ratio=ratio(from_before.seconds, bare),
        note=f"median of {DEVICES} new replicas (init + remote set, then `gloss sync`); client peak RSS "
             f"{mib(from_before.maxrss_kib)}",
        bound="download, checks (SHA-256, quick_check, counts) and copy of the snapshot file: its size"))
    right_after = r["from_snapshot_right_after"]
    kept = r["snapshot_right_after"].json()
    baseline, ratios = against(right_after.seconds, from_before.seconds)
    bench.report.add(Row(
        "(m)", f"first sync of a new replica from the snapshot right after compaction: {kept['changes']:,} changes",
        secs(right_after.seconds), baseline=baseline, ratio=ratios,
        note=("compaction deleted the snapshot (at its floor); `snapshot create` built a new one of the "
              f"compacted log ({mib(kib(kept['bytes']))})" if r["snapshot_deleted"] else
              f"the snapshot built before compaction sits at the floor ({kept['position']:,}), so compaction keeps "
              f"it, and `snapshot create` finds it up to date: new replicas still download every version "
              f"({mib(kib(kept['bytes']))}) until a later compaction's floor passes it")
             + "; one new replica",
        bound="the snapshot file's size"))
    snapshot_after, from_after = r["snapshot_after"], r["from_snapshot_after"]
    baseline, ratios = against(snapshot_after.seconds, snapshot_before.seconds)
    bench.report.add(Row(
        "(m)", f"gloss-server snapshot create of the compacted log: {snapshot_after.json()['changes']:,} changes",
        secs(snapshot_after.seconds), baseline=baseline, ratio=ratios,
        note=f"snapshot {mib(kib(snapshot_after.json()['bytes']))} "
             f"({ratio(snapshot_after.json()['bytes'], snapshot_before.json()['bytes'])} before); built whole after "
             f"one more edit that every replica pulled and a second compaction, whose floor passed the earlier "
             f"snapshot and deleted it; process peak RSS {mib(snapshot_after.maxrss_kib)}",
        bound=f"CPU {cpu_share(snapshot_after.cpu, snapshot_after.seconds)} of wall: process start-up, applying the "
              "remaining changes into a new replica file, VACUUM INTO"))
    baseline, ratios = against(from_after.seconds, from_before.seconds)
    bench.report.add(Row(
        "(m)", f"first sync of a new replica from the snapshot of the compacted log: "
               f"{snapshot_after.json()['changes']:,} changes",
        secs(from_after.seconds), baseline=baseline, ratio=ratios,
        note=f"median of {DEVICES}; each exports the same JSONL as a replica that replayed the whole log; client peak "
             f"RSS {mib(from_after.maxrss_kib)}",
        bound="process start-up, download, checks and copy of a small file"))
    client = r["client_compacted"]
    summary = client.json()["compaction"]
    c_before, c_after = r["replica_c_before"], r["replica_c_after"]
    bench.report.add(Row(
        "(m)", f"gloss compact on a replica holding the whole log, {c_before['changes']:,} → {c_after['changes']:,} "
               "changes",
        secs(client.seconds), baseline=base, ratio=ratio(client.seconds, bare),
        note=f"the replica that replayed the whole log (synced once after the server's compaction to learn its "
             f"floor): dropped {summary['dropped']:,}, kept each entity's last and first version (its created time); "
             f"file {mib(kib(c_before['bytes']))} → {mib(kib(c_after['bytes']))} on disk (`gloss compact`: "
             f"{mib(kib(summary['bytesBefore']))} → {mib(kib(summary['bytesAfter']))}, reclaimed with VACUUM); "
             f"client peak RSS {mib(client.maxrss_kib)}",
        bound=f"client CPU {cpu_share(client.cpu, client.seconds)} of wall: one DELETE of the superseded versions "
              "(with the log's index entries), then VACUUM rewriting the file"))
