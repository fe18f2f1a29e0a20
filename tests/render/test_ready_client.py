"""The renderer's kernel client: ready as soon as the kernel answers, and no output of the
first cell lost (a real IPython kernel over IPC sockets, as the renderer starts it)."""

from __future__ import annotations

import asyncio

from lansanalys.render.execute import KERNEL_ARGUMENTS, IpcKernelManager, ReadyClient


async def _outputs_of_cells_right_after_ready(n_clients: int) -> list[str]:
    km = IpcKernelManager(kernel_name="python3")
    await km.start_kernel(extra_arguments=KERNEL_ARGUMENTS)
    got = []
    try:
        # Like papermill on a warm kernel: a new client for every report.
        for i in range(n_clients):
            kc = km.client()
            assert isinstance(kc, ReadyClient)
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            msg_id = kc.execute(f"print('report {i}')")
            text = ""
            while True:
                msg = await kc.get_iopub_msg(timeout=30)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    text += msg["content"]["text"]
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            got.append(text)
            kc.stop_channels()
    finally:
        await km.shutdown_kernel(now=True)
    return got


def test_a_new_client_on_a_warm_kernel_sees_its_first_cells_output():
    got = asyncio.run(_outputs_of_cells_right_after_ready(3))
    assert got == ["report 0\n", "report 1\n", "report 2\n"]
