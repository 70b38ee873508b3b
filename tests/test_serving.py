"""Serving: a running engine holder or page follows the index folder's new versions; replicas' memory accounting."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from benchmarks.page_load import _rerun, _run, start_server, stop_server
from search.serving import EngineHolder

PROJECT = Path(__file__).resolve().parent.parent
NEW_DOCUMENT = (
    "# Доставка дронами\n\nКвадрокоптер привозит посылку на балкон за двадцать минут, "
    "если заказ весит меньше двух килограммов и погода лётная.\n"
)
NEW_QUERY = "квадрокоптер привозит посылку"


def folder_corpus(tmp_path: Path) -> Path:
    """A small corpus without a manifest, which another process can extend."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "returns.md").write_text(
        "# Возвраты\n\nЧтобы вернуть товар, откройте заказ и нажмите «Вернуть». Деньги придут за десять дней.\n",
        encoding="utf-8",
    )
    (folder / "payments.md").write_text(
        "# Оплата\n\nДвойное списание одной покупки банк отменяет сам в течение трёх дней.\n", encoding="utf-8"
    )
    return folder


def build_in_another_process(corpus: Path, index: Path) -> None:
    command = [sys.executable, "-m", "search", "build", "--corpus", str(corpus), "--index", str(index)]
    subprocess.run(command, cwd=PROJECT, check=True, capture_output=True, timeout=120)


def test_a_holder_reopens_a_version_written_by_another_process(tmp_path: Path) -> None:
    corpus, index = folder_corpus(tmp_path), tmp_path / "index"
    build_in_another_process(corpus, index)
    holder = EngineHolder.for_index(index, check_every=0)
    first = holder.get()
    assert first.search(NEW_QUERY).answered is False
    assert holder.get() is first  # nothing changed: the same engine, no reload
    (corpus / "drones.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    build_in_another_process(corpus, index)
    engine = holder.get()
    assert engine is not first and holder.reloads == 1
    assert engine.search(NEW_QUERY)[0].passage_id.startswith("drones:")
    assert first.search("двойное списание")[0].passage_id.startswith("payments:")  # a query in flight still works


def test_a_holder_checks_at_most_once_per_interval_and_survives_a_broken_version(tmp_path: Path) -> None:
    corpus, index = folder_corpus(tmp_path), tmp_path / "index"
    build_in_another_process(corpus, index)
    holder = EngineHolder.for_index(index, check_every=3600)
    first = holder.get()
    (corpus / "drones.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    build_in_another_process(corpus, index)
    assert holder.get() is first  # not looked at yet
    holder.check_every = 0
    (index / "CURRENT.tmp").write_text("v-missing")
    os.replace(index / "CURRENT.tmp", index / "CURRENT")  # a pointer naming nothing
    assert holder.get() is first  # keeps serving what it has


@pytest.mark.timeout(240)
def test_a_running_page_answers_from_a_new_version_without_restart(tmp_path: Path) -> None:
    corpus, index = folder_corpus(tmp_path), tmp_path / "index"
    build_in_another_process(corpus, index)
    process, url = start_server(tmp_path, env={"SEARCH_INDEX": str(index)}, timeout=90)
    try:
        before = asyncio.run(_ask(url, NEW_QUERY))
        assert 'data-passage="drones:' not in before
        (corpus / "drones.md").write_text(NEW_DOCUMENT, encoding="utf-8")
        build_in_another_process(corpus, index)
        time.sleep(1.2)  # the page looks at CURRENT at most once a second
        after = asyncio.run(_ask(url, NEW_QUERY))
        assert 'data-passage="drones:' in after
        assert process.poll() is None
    finally:
        stop_server(process)


async def _ask(url: str, query: str) -> str:
    """One browser-like session: open the page, type ``query``, return the HTML the run drew."""
    import websockets

    address = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(address, subprotocols=["streamlit"], max_size=None, open_timeout=30) as ws:
        fragments: dict[str, str] = {}
        elements, _ = await _run(ws, _rerun(), 60, fragments)
        box = next(e.text_input.id for e in elements if e.WhichOneof("type") == "text_input")
        elements, finished = await _run(ws, _rerun(widget=box, value=query, fragment=fragments.get(box, "")), 60)
        assert finished
        return "\n".join(e.html.body for e in elements if e.WhichOneof("type") == "html")


def test_pss_counts_a_processs_private_memory_and_halves_a_shared_mapping(tmp_path: Path) -> None:
    from benchmarks.replicas import pss_kb, total_pss_mb

    size = 64 * 2**20
    shared = tmp_path / "shared.bin"
    shared.write_bytes(b"\1" * size)
    holder = (
        "import mmap, sys, time\n"
        "private = bytearray(64 * 2**20)\n"
        "for i in range(0, len(private), 4096): private[i] = 1\n"
        f"f = open({str(shared)!r}, 'rb'); m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)\n"
        "total = sum(m[i] for i in range(0, len(m), 4096))\n"
        "print('ready', flush=True); time.sleep(60)\n"
    )
    processes = [subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        baseline = subprocess.Popen(
            [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert baseline.stdout is not None and baseline.stdout.readline().strip() == "ready"
        try:
            interpreter = pss_kb(baseline.pid) / 1024
        finally:
            baseline.kill()
            baseline.wait()
        mib = [pss_kb(process.pid) / 1024 for process in processes]
        # Each holds its 64 MiB of private pages and half of the 64 MiB file both map: ~96 MiB over an interpreter.
        for value in mib:
            assert 80 < value - interpreter < 112, (value, interpreter)
        assert total_pss_mb([p.pid for p in processes]) == pytest.approx(sum(mib), abs=2)
    finally:
        for process in processes:
            process.kill()
            process.wait()
    with pytest.raises(FileNotFoundError):
        pss_kb(2**22 + 12345)


# --- python -m search serve: page processes forked from one parent ---------------------------


@pytest.mark.timeout(300)
def test_serve_forks_pages_that_answer_from_the_parents_index_and_share_its_memory(tmp_path: Path) -> None:
    from benchmarks.page_load import page_processes, start_serve
    from benchmarks.replicas import smaps_rollup

    corpus, index = folder_corpus(tmp_path), tmp_path / "index"
    build_in_another_process(corpus, index)
    launcher, urls = start_serve(tmp_path, index, processes=2, timeout=120)
    try:
        pages = page_processes(launcher)
        assert len(pages) == 2 and len(urls) == 2
        for url in urls:
            page = asyncio.run(_ask(url, "двойное списание"))
            assert 'data-passage="payments:' in page
        # The page's frontend code is asked for with the page itself, and served.
        with urllib.request.urlopen(f"{urls[0]}/", timeout=10) as response:
            index_html = response.read().decode()
        preloaded = re.findall(
            r'rel="modulepreload" crossorigin href="\./(static/js/TextInput\.[\w-]+\.js)"', index_html
        )
        assert len(preloaded) == 1, index_html[-3000:]
        with urllib.request.urlopen(f"{urls[0]}/{preloaded[0]}", timeout=10) as response:
            assert response.status == 200 and b"import" in response.read()
        for pid in pages:
            # Most of what a page holds is the parent's pages, shared copy-on-write: counted a third in each.
            memory = smaps_rollup(pid)
            assert memory["Pss"] < 0.7 * memory["Rss"], memory
            assert memory["Private_Dirty"] < memory["Shared_Dirty"] + memory["Shared_Clean"], memory
        # A page process that dies is forked again on its port.
        os.kill(pages[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            len(page_processes(launcher)) < 2 or pages[0] in page_processes(launcher)
        ):
            time.sleep(0.2)
        assert len(page_processes(launcher)) == 2 and pages[0] not in page_processes(launcher)
        _wait_healthy(urls[0])
        page = asyncio.run(_ask(urls[0], "вернуть товар"))
        assert 'data-passage="returns:' in page
    finally:
        launcher.terminate()  # SIGTERM: the launcher stops its pages and exits
        launcher.wait(timeout=30)
    assert launcher.returncode == 0
    assert all(not Path(f"/proc/{pid}").exists() for pid in pages)


def _wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout} s")


@pytest.mark.timeout(300)
def test_serve_moves_its_pages_onto_a_new_index_version(tmp_path: Path) -> None:
    from benchmarks.page_load import page_processes, start_serve

    corpus, index = folder_corpus(tmp_path), tmp_path / "index"
    build_in_another_process(corpus, index)
    launcher, (url,) = start_serve(tmp_path, index, processes=1, timeout=120)
    try:
        (before,) = page_processes(launcher)
        assert 'data-passage="drones:' not in asyncio.run(_ask(url, NEW_QUERY))
        (corpus / "drones.md").write_text(NEW_DOCUMENT, encoding="utf-8")
        build_in_another_process(corpus, index)
        # The parent opens the new version and replaces its page by one forked from it.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and page_processes(launcher) in ([], [before]):
            time.sleep(0.2)
        (after,) = page_processes(launcher)
        assert after != before
        _wait_healthy(url)
        assert 'data-passage="drones:' in asyncio.run(_ask(url, NEW_QUERY))
    finally:
        launcher.terminate()
        launcher.wait(timeout=30)


NODELAY_CHILD = """
import asyncio, socket, sys
from search.serving import send_small_messages_at_once
if sys.argv[1] == "patched":
    send_small_messages_at_once()

async def main():
    listener = socket.socket(socket.AF_INET)  # proto 0, as Streamlit makes its listening socket
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = asyncio.get_running_loop().create_future()
    server = await asyncio.start_server(lambda r, w: accepted.set_result(w), sock=listener)
    _, writer = await asyncio.open_connection(*listener.getsockname())
    served = await accepted
    print(served.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    writer.close(); served.close(); server.close()

asyncio.run(main())
"""


@pytest.mark.parametrize(("mode", "nodelay"), [("plain", 0), ("patched", 1)])
def test_accepted_connections_send_small_messages_at_once_only_with_the_fix(mode: str, nodelay: int) -> None:
    # Plain asyncio leaves Nagle on for a socket whose proto is 0 (if Python ever changes that, the fix can go).
    result = subprocess.run(
        [sys.executable, "-c", NODELAY_CHILD, mode], cwd=PROJECT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(nodelay)


def test_the_static_folder_preloads_the_page_elements_chunks_and_their_imports() -> None:
    from streamlit import file_util

    from search.serving import frontend_chunks, preloading_static_dir

    static = Path(file_util.get_static_dir())
    chunks = frontend_chunks(static, ["TextInput", "Html", "NoSuchElement"])
    assert [name.split(".")[0] for name in chunks[:2]] == ["TextInput", "Html"]
    # What TextInput's chunk imports comes too (the text field, the widget label), each once.
    assert any(name.startswith("TextField.") for name in chunks) and len(chunks) == len(set(chunks))
    assert frontend_chunks(static, ["NoSuchElement"]) == []
    folder = preloading_static_dir(["TextInput", "Html"])
    assert folder is not None
    try:
        page = (folder / "index.html").read_text(encoding="utf-8")
        original = (static / "index.html").read_text(encoding="utf-8")
        listed = re.findall(r'<link rel="modulepreload" crossorigin href="\./static/js/([^"]+)">', page)
        # Only what Streamlit's own page does not list already (its main bundle), before </head>.
        added = [name for name in listed if f"static/js/{name}" not in original]
        assert added == [name for name in chunks if f"static/js/{name}" not in original] and added[0] == chunks[0]
        assert page.index(chunks[0]) < page.index("</head>")
        assert re.sub(r'\s*<link rel="modulepreload"[^>]*>', "", page) == re.sub(
            r'\s*<link rel="modulepreload"[^>]*>', "", original
        )
        assert (folder / "static").is_symlink() and (folder / "static").resolve() == (static / "static").resolve()
    finally:
        shutil.rmtree(folder)
    assert preloading_static_dir(["NoSuchElement"]) is None
