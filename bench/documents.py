"""Benchmark: docflow's reply letter (R29) against the way Plone generators make the same letter.

Run from the project root: ``.venv/bin/python -m bench.documents`` (or ``make bench-documents``).

1. docflow: context dict -> Jinja -> HTML -> WeasyPrint -> PDF bytes + search text, written to
   the blob store (SHA-256 key, fsync), in a warm process
   (letterhead with the SVG emblem, body, table, QR code); median and p95 per letter.
2. Throughput with 1 and 2 worker processes, each warmed up before the clock starts.
3. The Plone way: a DOCX template (built here with python-docx) filled by docxtpl, converted to
   PDF by LibreOffice, (a) kept running between letters (unoserver, run by Debian's python3 for
   python3-uno) and (b) one ``soffice --headless --convert-to pdf`` process per letter.

The bench installs nothing; a missing LibreOffice or docxtpl gives ``null`` figures and a note.
The last line of output is one JSON object (the figures), as for every bench in bench/.
"""
import hashlib
import json
import math
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.host import machine_scaling

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = "/usr/bin/python3"  # python3-uno belongs to Debian's interpreter, not the venv


def note(message: str) -> None:
    print(message, flush=True)


def summary(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def letter_context(i: int) -> dict:
    """A different letter each time (number, QR content), as in production: nothing is cached
    per letter except what is really shared (templates, stylesheet, fonts, emblem)."""
    from docflow.documents import samples

    return samples.reply_letter("kk" if i % 2 == 0 else "ru", number=f"ЕҢБ-2024-{i:06d}")


_blobs = None


def blob_store():
    """The file store a worker writes PDFs to (atomic, fsynced), in a temporary folder."""
    global _blobs
    if _blobs is None:
        import atexit

        from docflow.engine.storage import FileSystemBlobStore

        root = tempfile.mkdtemp(prefix="bench-blobs-")
        atexit.register(shutil.rmtree, root, True)
        _blobs = FileSystemBlobStore(root)
    return _blobs


def docflow_letter(i: int) -> str:
    """Data -> PDF bytes and search text -> the PDF written to the blob store (SHA-256 key,
    fsync): the unit of work of a worker, less the database row pointing at the blob."""
    from docflow.documents import render_pdf

    context = letter_context(i)
    doc = render_pdf("reply_letter", context, language="kk" if i % 2 == 0 else "ru",
                     title=f"Жауап / Ответ {context['registration']['number']}")
    return blob_store().put(doc.pdf)


def time_docflow(count: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per letter in this (warm) process."""
    from docflow.documents import warm_up

    warm_up()
    for i in range(10):
        docflow_letter(i)
    wall, cpu = [], []
    for i in range(count):
        w, c = time.perf_counter(), time.process_time()
        docflow_letter(1000 + i)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def _worker(barrier, results, start: int, count: int) -> None:
    from docflow.documents import warm_up

    warm_up()
    for i in range(5):
        docflow_letter(start + i)
    barrier.wait()
    began, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        docflow_letter(start + 10 + i)
    results.put((time.perf_counter() - began, time.process_time() - cpu))


def letters_per_second(workers: int, per_worker: int) -> tuple[float, float]:
    """Each worker warms up, all start together at a barrier; rate = letters / slowest worker.
    Also returns the CPU milliseconds per letter the workers used (less noisy than the rate)."""
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter per worker process
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(barrier, results, 100_000 * (w + 1), per_worker))
             for w in range(workers)]
    for proc in procs:
        proc.start()
    done = [results.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    cpu_ms = sum(cpu for _, cpu in done) / (workers * per_worker) * 1000
    return workers * per_worker / max(wall for wall, _ in done), cpu_ms


# --- the Plone way: docxtpl + LibreOffice ------------------------------------------------------

def emblem_png() -> bytes:
    """The letterhead emblem as a PNG (DOCX templates carry raster logos), drawn with Pillow."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (240, 240), "white")
    draw = ImageDraw.Draw(img)
    draw.ellipse((4, 4, 236, 236), fill="#00a3c4")
    for k in range(30):
        a = 2 * math.pi * k / 30
        draw.line((120 + 50 * math.cos(a), 120 + 50 * math.sin(a),
                   120 + 88 * math.cos(a), 120 + 88 * math.sin(a)), fill="#f2c230", width=6)
    draw.ellipse((79, 79, 161, 161), fill="#f2c230")
    out = BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def docx_template() -> bytes:
    """The reply letter as a docxtpl template, built in code (no binary in the repository)."""
    from io import BytesIO

    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Noto Sans", Pt(10.5)
    head = doc.add_table(rows=1, cols=3)
    for cell, text in zip(head.rows[0].cells, ("{{ h.name_kk }}", "{{ emblem }}", "{{ h.name_ru }}"),
                          strict=True):
        cell.paragraphs[0].add_run(text).bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    req = doc.add_paragraph("{{ h.address }} · {{ L.bin }} {{ h.bin }} · {{ L.phone }} {{ h.phone }}"
                            " · {{ h.email }} · {{ h.website }}")
    req.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("{{ issued }} № {{ c.registration.number }}")
    doc.add_paragraph("{{ c.applicant.name }}\n{{ c.applicant.address }}").alignment = \
        WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_heading("{{ L.reply_title }}", level=2).alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("{{ L.reg_number }}: {{ c.registration.number }}, {{ L.reg_date }}: "
                      "{{ reg_date }}. {{ L.reply_intro }}")
    doc.add_paragraph("{{ L.reply_slot }}")
    facts = doc.add_table(rows=5, cols=2)
    facts.style = "Table Grid"
    for row, (label, value) in zip(facts.rows, (
            ("reception_date", "{{ rec_date }}"), ("reception_time", "{{ c.reception.time }}"),
            ("place", "{{ c.reception.place }}"), ("official", "{{ c.reception.official_name }}"),
            ("position", "{{ c.reception.official_position }}")), strict=True):
        row.cells[0].text = "{{ L." + label + " }}"
        row.cells[1].paragraphs[0].add_run(value).bold = True
    doc.add_paragraph("{{ L.bring_id }}")
    doc.add_paragraph("{{ c.signatory.position }}")
    doc.add_paragraph("{{ c.signatory.name }}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph("{{ qr }} {{ L.verify }}: {{ c.verification_url }}")
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def docx_letter(template: bytes, emblem: bytes, i: int) -> bytes:
    """Fill the DOCX template for letter ``i`` (same data and labels as docflow's letter)."""
    from io import BytesIO

    import segno
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    from docflow.documents.labels import LABELS, format_date

    context = letter_context(i)
    language = "kk" if i % 2 == 0 else "ru"
    tpl = DocxTemplate(BytesIO(template))
    qr = BytesIO()
    segno.make_qr(context["verification_url"], error="m").save(qr, kind="png", scale=4, border=4)
    qr.seek(0)
    tpl.render({
        "c": context, "h": context["letterhead"], "L": LABELS[language],
        "issued": format_date(context["issued_at"]),
        "reg_date": format_date(context["registration"]["date"]),
        "rec_date": format_date(context["reception"]["date"]),
        "emblem": InlineImage(tpl, BytesIO(emblem), width=Mm(22)),
        "qr": InlineImage(tpl, qr, width=Mm(24)),
    })
    out = BytesIO()
    tpl.save(out)
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unoserver_site() -> str | None:
    """The venv's site-packages holding unoserver, for Debian's python3 to import it from."""
    try:
        import unoserver
    except ImportError:
        return None
    return str(Path(unoserver.__file__).resolve().parent.parent)


def time_libreoffice_warm(template: bytes, emblem: bytes, count: int, workdir: Path) -> list[float]:
    """LibreOffice kept running (unoserver) between letters; data -> DOCX -> PDF -> SHA-256."""
    from unoserver.client import UnoClient

    port, uno_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": unoserver_site()}
    log = open(workdir / "unoserver.log", "wb")
    server = subprocess.Popen(
        [SYSTEM_PYTHON, "-m", "unoserver.server", "--interface", "127.0.0.1", "--port", str(port),
         "--uno-port", str(uno_port), "--user-installation", str(workdir / "warm-profile")],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        client = UnoClient("127.0.0.1", str(port))
        deadline = time.monotonic() + 90
        while True:  # the first conversion also waits for LibreOffice to start
            try:
                client.convert(indata=docx_letter(template, emblem, 0), convert_to="pdf")
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    tail = (workdir / "unoserver.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"unoserver did not start within 90 s:\n{tail}") from None
                time.sleep(1)
        for i in range(3):
            client.convert(indata=docx_letter(template, emblem, i), convert_to="pdf")
        times = []
        for i in range(count):
            began = time.perf_counter()
            pdf = client.convert(indata=docx_letter(template, emblem, 1000 + i), convert_to="pdf")
            hashlib.sha256(pdf).hexdigest()
            times.append((time.perf_counter() - began) * 1000)
        return times
    finally:
        stop_group(server)
        log.close()


def stop_group(proc: subprocess.Popen) -> None:
    """Stop a process started in its own session and its children (soffice), by its id."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def time_libreoffice_cold(template: bytes, emblem: bytes, count: int, workdir: Path) -> list[float]:
    """One ``soffice --headless --convert-to pdf`` process per letter (a prepared profile)."""
    soffice = shutil.which("soffice")
    profile = "-env:UserInstallation=" + (workdir / "cold-profile").as_uri()

    def convert(i: int) -> float:
        began = time.perf_counter()
        src = workdir / f"letter{i}.docx"
        src.write_bytes(docx_letter(template, emblem, i))
        subprocess.run([soffice, profile, "--headless", "--convert-to", "pdf", "--outdir",
                        str(workdir), str(src)], check=True, capture_output=True, timeout=120)
        hashlib.sha256((workdir / f"letter{i}.pdf").read_bytes()).hexdigest()
        return (time.perf_counter() - began) * 1000

    convert(0)  # creates the profile: not a per-letter cost
    return [convert(1000 + i) for i in range(count)]


def libreoffice_figures(warm_count: int, cold_count: int) -> tuple[float | None, float | None]:
    missing = [what for what, ok in (
        ("soffice (Debian libreoffice-writer-nogui)", shutil.which("soffice")),
        ("python3-uno for /usr/bin/python3", subprocess.run(
            [SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0
            if os.path.exists(SYSTEM_PYTHON) else False),
        ("docxtpl (PyPI)", _importable("docxtpl")), ("unoserver (PyPI)", _importable("unoserver")),
    ) if not ok]
    if missing:
        note("LibreOffice side skipped, missing: " + ", ".join(missing)
             + " (make bench-documents installs them when run as root)")
        return None, None
    template, emblem = docx_template(), emblem_png()
    with tempfile.TemporaryDirectory(prefix="bench-lo-") as tmp:
        warm = time_libreoffice_warm(template, emblem, warm_count, Path(tmp))
        wm, wp = summary(warm)
        note(f"LibreOffice warm (docxtpl + unoserver): median {wm:.1f} ms, p95 {wp:.1f} ms "
             f"({len(warm)} letters)")
        cold = time_libreoffice_cold(template, emblem, cold_count, Path(tmp))
        cm, cp = summary(cold)
        note(f"LibreOffice cold (docxtpl + soffice per letter): median {cm:.1f} ms, "
             f"p95 {cp:.1f} ms ({len(cold)} letters)")
    return wm, cm


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def main(argv: list[str]) -> dict:
    quick = "--quick" in argv
    count, per_worker = (60, 30) if quick else (300, 120)
    load_start = os.getloadavg()[0]
    note(f"machine: {os.cpu_count()} CPUs, load average {load_start:.2f} at start")
    wall, cpu = time_docflow(count)
    median, p95 = summary(wall)
    cpu_median, cpu_p95 = summary(cpu)
    note(f"docflow reply letter (warm, data -> stored PDF + search text): median {median:.1f} ms, "
         f"p95 {p95:.1f} ms; CPU time median {cpu_median:.1f} ms, p95 {cpu_p95:.1f} ms "
         f"({count} letters)")
    scaling_before = machine_scaling()
    one, one_cpu = letters_per_second(1, per_worker)
    two, two_cpu = letters_per_second(2, per_worker)
    scaling_after = machine_scaling()
    note(f"throughput: {one:.1f} letters/s with 1 worker ({one_cpu:.1f} ms CPU a letter), "
         f"{two:.1f} with 2 ({two_cpu:.1f} ms CPU a letter), {two / one:.2f}x; the machine's own "
         f"2-process scaling of pure-Python work: {scaling_before:.2f}x before, "
         f"{scaling_after:.2f}x after")
    warm, cold = libreoffice_figures(10 if quick else 30, 3 if quick else 5)
    figures = {
        "letter_median_ms": round(median, 2),
        "letter_p95_ms": round(p95, 2),
        "libreoffice_warm_median_ms": None if warm is None else round(warm, 1),
        "libreoffice_cold_median_ms": None if cold is None else round(cold, 1),
        "ratio_warm": None if warm is None else round(warm / median, 1),
        "ratio_cold": None if cold is None else round(cold / median, 1),
        "letters_per_s_1_worker": round(one, 1),
        "letters_per_s_2_workers": round(two, 1),
        "letter_cpu_median_ms": round(cpu_median, 2),
        "letter_cpu_p95_ms": round(cpu_p95, 2),
        "cpu_ms_per_letter_1_worker": round(one_cpu, 2),
        "cpu_ms_per_letter_2_workers": round(two_cpu, 2),
        "machine_scaling_2_processes": round(min(scaling_before, scaling_after), 2),
        "load_average_start": round(load_start, 2),
        "load_average_end": round(os.getloadavg()[0], 2),
    }
    note(f"load average {os.getloadavg()[0]:.2f} at end")
    print(json.dumps(figures), flush=True)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
