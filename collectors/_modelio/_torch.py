"""PyTorch models: TorchScript archives, torch.export programs, and state_dict weights + a factory.

- TorchScript (``torch.jit.save``) holds the network as TorchScript IR: loading runs no Python
  from the file.
- ``torch.export`` programs (``.pt2``) hold a graph and weights, loaded with ``torch.export.load``.
- A ``state_dict`` is only weights, read with ``torch.load(weights_only=True)``; the network is
  built by the repository's own ``factory: module:function``. That imports and runs code from the
  checkout (which whoever opens a pull request controls), so it requires ``trust: true``.

torch is imported inside the functions: the collectors stay importable without it.
"""

from __future__ import annotations

import importlib
import sys
import zipfile
from pathlib import Path
from typing import Any

from aima_ci.plugin import InputError

from ._loaded import DeepModel, LoadedModel


def resolve_device(device: str) -> str:
    """``auto`` picks CUDA when torch sees a GPU; ``cuda`` without one is an error, not a fallback."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError(
            "device: cuda was asked for but torch sees no GPU; use device: auto or cpu"
        )
    return device


def limit_threads() -> None:
    """One intra-op thread unless OMP_NUM_THREADS says otherwise.

    On a busy 2-core runner torch's default (one spinning thread per core) made a 20-step PGD
    on 100 digits take 16 s instead of 0.6 s: the threads wait on each other and on every other
    process. The small batches these collectors run gain nothing from more threads.
    """
    import os

    import torch

    if not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(1)


def wrap_module(module: Any, shape: tuple[int, ...] | None, device: str, runtime: str) -> DeepModel:
    import numpy as np
    import torch

    limit_threads()
    module = module.to(device) if hasattr(module, "to") else module
    if hasattr(module, "eval"):
        module.eval()

    def outputs(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = module(torch.from_numpy(np.ascontiguousarray(x)).to(device))
        if isinstance(out, (tuple, list)):
            out = out[0]
        return out.detach().cpu().numpy()

    return DeepModel(outputs, shape, torch_module=module, device=device, runtime=runtime)


def _is_torchscript(path: Path) -> bool:
    """A TorchScript archive has a ``code/`` folder; a plain torch.save archive only pickles."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any("/code/" in n or n.startswith("code/") for n in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def load_torchscript(
    path: Path, where: str, shape: tuple[int, ...] | None, device: str
) -> LoadedModel:
    import torch

    if not _is_torchscript(path):
        raise InputError(
            f"{where}: not a TorchScript archive (a torch.save pickle? those run code when "
            "loaded): save with torch.jit.save(torch.jit.script(model)), or torch.export, or "
            "declare format: state_dict with a factory"
        )
    try:
        module = torch.jit.load(str(path), map_location=device)
    except Exception as exc:
        raise InputError(f"{where}: torch.jit.load failed ({type(exc).__name__}: {exc})") from exc
    return LoadedModel(wrap_module(module, shape, device, "torch.jit"), "torchscript")


def load_export(path: Path, where: str, shape: tuple[int, ...] | None, device: str) -> LoadedModel:
    import torch

    try:
        program = torch.export.load(str(path))
        module = program.module()
    except Exception as exc:
        raise InputError(
            f"{where}: torch.export.load failed ({type(exc).__name__}: {exc})"
        ) from exc
    if shape is None:  # the example input the program was exported with
        try:
            spec = program.example_inputs[0][0]
            shape = tuple(int(d) for d in spec.shape[1:])
        except Exception:
            shape = None
    return LoadedModel(wrap_module(_sealed(module), shape, device, "torch.export"), "torch_export")


def _sealed(program_module: Any) -> Any:
    """An nn.Module that calls the exported graph without exposing it as a child.

    An exported program's module refuses ``eval()``/``train()`` (NotImplementedError), and ART
    and SHAP call those on whatever they wrap; the graph's behaviour is fixed at export anyway.
    """
    import torch

    class Sealed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            object.__setattr__(self, "graph_module", program_module)  # not a registered child

        def forward(self, x: Any) -> Any:
            return self.graph_module(x)  # type: ignore[operator]  # a Module, set above

    return Sealed()


def load_state_dict(
    path: Path, where: str, factory: str, root: Path, shape: tuple[int, ...] | None, device: str
) -> LoadedModel:
    """Weights without pickled code, and the network from the repository's factory (trusted)."""
    import torch

    try:
        weights = torch.load(str(path), map_location=device, weights_only=True)
    except Exception as exc:
        raise InputError(
            f"{where}: not a weights-only state_dict ({type(exc).__name__}: {exc})"
        ) from exc
    module = _call_factory(factory, root, where)
    try:
        module.load_state_dict(weights)
    except Exception as exc:
        raise InputError(
            f"{where}: the weights do not fit the network built by {factory} ({exc})"
        ) from exc
    return LoadedModel(wrap_module(module, shape, device, "torch"), "state_dict")


def _call_factory(factory: str, root: Path, where: str) -> Any:
    module_name, _, function = factory.partition(":")
    added = str(root) not in sys.path
    if added:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
        origin = Path(getattr(module, "__file__", "") or "").resolve()
        if not origin.is_relative_to(root.resolve()):
            raise InputError(
                f"{where}: factory module {module_name!r} comes from {origin}, not from the "
                "repository; the factory must be the repository's own code"
            )
        return getattr(module, function)()
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"{where}: factory {factory} failed ({type(exc).__name__}: {exc})"
        ) from exc
    finally:
        if added:
            sys.path.remove(str(root))
