from benchmarks import machine

EPYC = "processor\t: 0\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512vl\n"
XEON = "model name\t: Intel(R) Xeon(R) Platinum 8488C\nflags\t\t: avx2 avx512f amx_bf16 amx_tile avx512_bf16\n"
OLD = "model name\t: AMD EPYC\nflags\t\t: sse2 avx2 fma\n"


def test_the_cpu_model_is_named():
    assert machine.cpu_model(EPYC) == "AMD EPYC 9R14"
    assert machine.cpu_model(XEON).startswith("Intel(R) Xeon(R)")


def test_bf16_units_are_named_where_present_and_their_absence_is_said():
    assert machine.vector_units(EPYC) == "AVX512-BF16, AVX-512, AVX2, bf16 units"
    assert machine.vector_units(XEON) == "AMX, AVX512-BF16, AVX-512, AVX2, bf16 units"
    assert machine.vector_units(OLD) == "AVX2, no bf16 units (fp32 throughout)"


def test_describe_reads_a_cpuinfo_file_and_survives_a_missing_one(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text(OLD)
    line = machine.describe(info)
    assert line.startswith("AMD EPYC (") and "no bf16 units" in line and "threads, torch " in line
    assert "vector units unknown" in machine.describe(tmp_path / "missing")
