import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from theranostix.cli import app

runner = CliRunner()


def run_json(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_nuclide_show_json_has_the_documented_keys() -> None:
    data = run_json("nuclide", "show", "177Lu")
    assert data["name"] == "Lu-177"
    assert data["half_life_s"] == pytest.approx(6.647 * 86400)
    assert data["decay_modes"] == {"beta-": 1.0}
    assert data["progeny"] == ["Hf-177"]
    energies = data["mean_energy_mev_per_decay"]
    assert {"alpha", "beta_minus", "beta_plus", "electron", "photon"} <= set(energies)
    assert energies["electron"] == pytest.approx(0.1479, abs=5e-5)
    assert energies["photon"] == pytest.approx(0.0351, abs=5e-5)
    assert energies["alpha"] == 0.0 and energies["beta_plus"] == 0.0
    assert data["air_kerma_rate_constant_ugy_m2_per_mbq_h"] > 0
    assert data["dose_constants_g_gy_per_mbq_h"]["non_penetrating"] == pytest.approx(
        0.0855, abs=1e-4
    )


def test_nuclide_show_chain() -> None:
    data = run_json("nuclide", "show", "At-211", "--chain")
    assert data["decay_modes"] == {"EC": 0.582, "alpha": 0.418}
    members = {m["name"]: m["activity_ratio"] for m in data["chain"]["members"]}
    assert members["Po-211"] == pytest.approx(0.582, abs=1e-4)
    assert data["chain"]["mean_energy_mev_per_decay"]["alpha"] == pytest.approx(6.78, abs=0.02)


def test_nuclide_show_table() -> None:
    result = runner.invoke(app, ["nuclide", "show", "Ga-68"])
    assert result.exit_code == 0
    assert "Ga-68" in result.stdout and "67.71 min" in result.stdout


def test_nuclide_list() -> None:
    data = run_json("nuclide", "list")
    names = [n["name"] for n in data["nuclides"]]
    assert data["count"] == len(names) >= 23
    assert "Lu-177" in names and "At-211" in names
    assert run_json("nuclide", "list", "--all")["count"] == 1252


def test_decay_elapsed() -> None:
    data = run_json("decay", "F-18", "--activity", "400 MBq", "--elapsed", "109.77 min")
    assert data["activity_bq"] == pytest.approx(200e6)
    assert data["nuclide"] == "F-18"


def test_decay_between_datetimes_and_timezone() -> None:
    data = run_json(
        "decay",
        "lu177",
        "-a",
        "7.4 GBq",
        "--from",
        "2026-11-23 08:00",
        "--to",
        "2026-11-29 23:31:40.8",
        "--tz",
        "Europe/Paris",
    )
    assert data["elapsed_s"] == pytest.approx(6.647 * 86400, abs=1.0)
    assert data["activity_bq"] == pytest.approx(3.7e9, rel=1e-5)
    assert data["from"] == "2026-11-23T08:00:00+01:00"


def test_decay_correct_backwards_and_chain() -> None:
    data = run_json(
        "decay", "Mo-99", "-a", "10 GBq", "--from", "2026-11-23T08:00Z", "--to", "2026-11-22T08:00Z"
    )
    assert data["activity_bq"] > 10e9
    chain = run_json("decay", "Mo-99", "-a", "10 GBq", "-t", "23 h", "--chain")[
        "chain_activities_bq"
    ]
    assert chain["Tc-99m"] == pytest.approx(6.899e9, rel=1e-3)


def test_decay_plot(tmp_path) -> None:
    out = tmp_path / "curve.png"
    result = runner.invoke(
        app, ["decay", "Ra-223", "-a", "6 MBq", "-t", "30 d", "--chain", "--plot", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nuclide", "show", "Lu-178x"], "did you mean Lu-178"),
        (["decay", "F-18", "-a", "4 MBQ", "-t", "2 h"], "valid units"),
        (["decay", "F-18", "-a", "4 MBq", "-t", "2 parsecs"], "valid units"),
        (
            [
                "decay",
                "F-18",
                "-a",
                "4 MBq",
                "--from",
                "2026-11-23T08:00",
                "--to",
                "2026-11-23T09:00",
            ],
            "no time zone",
        ),
        (["decay", "F-18", "-a", "4 MBq"], "--elapsed"),
        (["decay", "F-18", "-a", "4 MBq", "-t", "1 h", "--from", "2026-11-23T08:00Z"], "not both"),
        # Click's own usage errors are one line too.
        (["decay"], "Missing argument 'name'"),
        (["decay", "F-18", "-a", "1 GBq", "-t", "1 h", "--bogus"], "No such option: --bogus"),
        (
            [
                "cyclotron",
                "eob",
                "--nuclide",
                "F-18",
                "--current",
                "abc",
                "--saturation-yield",
                "8 GBq",
                "--duration",
                "2 h",
            ],
            "Invalid value for '--current'",
        ),
    ],
)
def test_user_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from theranostix.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert message in lines[0]


def test_help_and_version_exit_0() -> None:
    for args in (["--help"], ["nuclide"], ["--version"]):
        proc = subprocess.run(
            [sys.executable, "-c", "from theranostix.cli import main; main()", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Usage" in proc.stdout or "theranostix 0.1.0" in proc.stdout


def test_cli_import_is_light() -> None:
    # thx --help must not pay for the decay data, NumPy or matplotlib.
    code = (
        "import sys; import theranostix.cli; "
        "heavy = [m for m in ('radioactivedecay', 'numpy', 'scipy', 'matplotlib', 'sympy') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""
