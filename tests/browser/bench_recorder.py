"""The recorder's cost with two browser calls recorded at once: four Chromium pages (two calls,
citizen and clerk each) with a 640x480, 30 fps fake camera, consent given, all four publishing.
It measures the arreta-recorder process from /proc while they publish: CPU-seconds per media
second per call and peak RSS, and what the browsers actually sent (on 2 cores, four pages each
encoding twice may send less than asked). Not part of the test run (pytest collects test_*.py);
run it on purpose:

    scripts/browser-tests.sh bench

ARRETA_BENCH_SECONDS sets how long the four publish (30 s)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import calls

# The camera as a browser in a call would open it here: 640x480 at 30 fps, whatever the page
# asks for (the page asks for 1280x720 ideally).
CAMERA_640_480_30 = """
(() => {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => {
    if (constraints && constraints.video) {
      const video = typeof constraints.video === 'object' ? constraints.video : {};
      constraints = { ...constraints, video: { ...video, width: { exact: 640 }, height: { exact: 480 },
                                                frameRate: { ideal: 30 } } };
    }
    return original(constraints);
  };
})();
"""

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat; after the ")" they are the 12th and 13th.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sent(person) -> str:
    out = person.eval("window.__arretaTest.outbound()") or {}
    video = (out.get("outbound") or {}).get("video") if isinstance(out, dict) else None
    if not isinstance(video, dict):
        return f"{person.name}: {out}"
    return (f"{person.name}: {video.get('frameWidth')}x{video.get('frameHeight')} "
            f"at {video.get('framesPerSecond')} fps")


def test_bench_two_browser_calls_recorded_at_once(make_stack, participants, figure):
    seconds = float(os.environ.get("ARRETA_BENCH_SECONDS", "30"))
    stack = make_stack()
    pid = stack.recorder.process.pid
    started_cpu = cpu_seconds(pid)
    running = []
    for index, clerk_id in enumerate(["clerk-07", "clerk-08"]):
        citizen = participants(f"citizen-{index + 1}", stack.dir)
        clerk = participants(f"clerk-{index + 1}", stack.dir)
        for person in (citizen, clerk):
            person.context.add_init_script(CAMERA_640_480_30)
        call = calls.connect(stack, citizen, clerk, clerk_id=clerk_id)
        for side, ms in call.first_frame_ms.items():
            figure(f"bench call {index + 1}: start → first decoded frame, {side}: {ms:.0f} ms")
        calls.consent_and_publish(call)
        running.append(call)
    before = cpu_seconds(pid)
    began = time.monotonic()
    running[0].clerk.page.wait_for_timeout(seconds * 1000)
    after = cpu_seconds(pid)
    media_seconds = time.monotonic() - began
    peak = peak_rss_mib(pid)
    what = "; ".join(sent(person) for call in running for person in call.both)
    for call in running:
        calls.end(call)
    for call in running:
        stack.wait_stored(call.request, 2, timeout=120)
    done = cpu_seconds(pid)
    per_call = (after - before) / media_seconds / 2
    figure(f"recorder, 2 browser calls (4 publications) for {media_seconds:.0f} s: "
           f"{per_call:.3f} CPU-s per media second per call; peak RSS {peak:.1f} MiB while recording, "
           f"{peak_rss_mib(pid):.1f} MiB after storing; start-up and the four offers {before - started_cpu:.2f} CPU-s, "
           f"finalise and upload {done - after:.2f} CPU-s; sent: {what}")
