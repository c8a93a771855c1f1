import pytest
from PIL import Image

from ganvas.cli import main


def run_cli(capsys, *argv):
    code = main(["stylize", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def bad_inputs(tmp_path, TUBINGEN):
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(TUBINGEN.read_bytes()[:5000])
    text = tmp_path / "notes.png"
    text.write_text("this is not an image\n")
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (40, 20), "red").save(tiny)
    return {"truncated": truncated, "not an image": text, "no such file": tmp_path / "missing.jpg",
            "32 px": tiny}


@pytest.mark.parametrize("kind", ["truncated", "not an image", "no such file", "32 px"])
@pytest.mark.parametrize("role", ["content", "style"])
def test_bad_inputs_exit_2_with_one_line_naming_the_file(capsys, tmp_path, bad_inputs, kind, role, TUBINGEN,
                                                         STARRY):
    bad = bad_inputs[kind]
    content, style = (bad, STARRY) if role == "content" else (TUBINGEN, bad)
    code, out, err = run_cli(capsys, content, style, "--out", tmp_path / "out.png", "--size", 64, "--steps", 1)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert str(bad) in lines[0] and kind.split()[-1] in lines[0]
    assert not (tmp_path / "out.png").exists()


def test_a_run_writes_the_output_and_its_intermediates(capsys, tmp_path, TUBINGEN, STARRY):
    out = tmp_path / "new" / "folder" / "out.png"
    code, printed, _ = run_cli(capsys, TUBINGEN, STARRY, "--out", out, "--size", 48, "--steps", 4,
                               "--save-every", 2, "--precision", "fp32")
    assert code == 0
    assert printed.strip().splitlines()[-1] == str(out)
    assert Image.open(out).size == (48, 36)
    assert sorted(p.name for p in out.parent.glob("out-*.png")) == ["out-00002.png", "out-00004.png"]


def test_output_may_not_overwrite_an_input(capsys, tmp_path, TUBINGEN):
    photo = tmp_path / "photo.png"
    Image.open(TUBINGEN).resize((64, 48)).save(photo)
    before = photo.read_bytes()
    code, _, err = run_cli(capsys, photo, TUBINGEN, "--out", photo, "--size", 48, "--steps", 1)
    assert code == 2 and "input" in err
    assert photo.read_bytes() == before


def test_demo_uses_its_built_in_images(capsys, tmp_path):
    out = tmp_path / "demo.png"
    code, printed, _ = run_cli(capsys, "--demo", "--out", out, "--size", 48, "--steps", 2, "--coarse-steps", 1)
    assert code == 0 and out.exists()
    assert Image.open(out).size == (48, 36)


def test_missing_style_is_a_usage_error(capsys, tmp_path, TUBINGEN):
    code, _, err = run_cli(capsys, TUBINGEN, "--out", tmp_path / "o.png")
    assert code == 2 and "STYLE" in err


def test_bad_output_extension_is_refused_before_any_work(capsys, tmp_path, TUBINGEN, STARRY):
    code, _, err = run_cli(capsys, TUBINGEN, STARRY, "--out", tmp_path / "out.txt")
    assert code == 2 and "out.txt" in err and "extension" in err
