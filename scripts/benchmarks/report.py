"""The figures as text: a table of the headline figures and the targets, or JSON."""

from __future__ import annotations

import json

from .encoding import encode_table_rows


def to_json(results: dict) -> str:
    """The figures as indented JSON (numpy scalars as plain numbers)."""
    return json.dumps(results, indent=2, default=_rounded)


def table(results: dict) -> str:
    """The headline figures, their ratios to the plain baselines, and the targets."""
    warm, cold, build, memory = results["warm"], results["cold_start"], results["build"], results["memory"]
    base, large, throughput, threads = results["baseline"], results["large"], results["throughput"], results["threads"]
    chosen = large["rank"]["chosen"]
    rows = [
        ("plain baseline, ONNX encode + flat search", _ms(base["onnx"]["total_ms"]), ""),
        ("plain baseline, sentence-transformers (default threads)", _ms(base["st"]["total_ms"]), ""),
        ("plain baseline, sentence-transformers (1 thread)", _ms(base["st_one_thread"]["total_ms"]), ""),
        ("warm answer, total", _ms(warm["total_ms"]), _ratios(warm)),
    ]
    rows += [
        (f"  stage {stage}", _ms(warm[f"{stage}_ms"]), "")
        for stage in ("encode", "dense_search", "lexical", "fusion", "select", "other")
        if f"{stage}_ms" in warm
    ]
    rows += [
        ("cold start, `ask` to its answer", f"{cold['ask_s']:.2f} s", _ratios(cold)),
        ("cold start, same with OMP_NUM_THREADS=1", f"{cold['ask_omp_num_threads_1_s']:.2f} s", ""),
        ("cold start, plain ONNX / ST script", f"{cold['baseline_onnx_s']:.2f} / {cold['baseline_st_s']:.2f} s", ""),
        ("`ask` imports torch/ST/gradio?", ", ".join(results["imports"]["forbidden"]) or "none", ""),
        ("index build, guide from scratch (subprocess)", f"{build['fresh_s']:.1f} s", ""),
        ("index rebuild, nothing changed (subprocess)", f"{build['rebuild_s']:.2f} s", ""),
        (
            "  minus interpreter start-up / CLI start-up",
            f"{build['rebuild_beyond_startup_s']:.2f} / {build['rebuild_beyond_cli_startup_s']:.2f} s",
            "",
        ),
        ("  in-process build_index()", f"{build['rebuild_in_process_s'] * 1000:.0f} ms", ""),
        ("peak memory, ask / plain ST script", f"{memory['ask_peak_mib']:.0f} / {memory['baseline_st_peak_mib']:.0f} MiB", ""),
        ("peak memory, serve", f"{memory['serve_peak_mib']:.0f} MiB" if memory["serve_peak_mib"] else memory["serve"], ""),
        (
            f"build throughput ({throughput['passages']} passages, {throughput['texts']} texts)",
            f"{throughput['passages_per_s']:.1f} passages/s",
            f"{throughput['ratio_to_raw_encode']:.2f}x raw encode speed",
        ),
        *encode_table_rows(results["encode"]),
        (
            "  raw ST encode, texts/s (1 / 2 torch threads)",
            " / ".join(f"{v:.0f}" for v in throughput["raw_texts_per_s_by_torch_threads"].values()),
            "",
        ),
        (
            f"{large['passages']:,} passages: query total ({chosen['type']})",
            _ms(chosen["total_ms"]),
            f"{chosen['ratio_to_baseline_onnx']:.2f}x ONNX + flat search at this size",
        ),
        ("  plain ONNX + flat search at this size", _ms(chosen["baselines"]["onnx"]["total_ms"]), ""),
        ("  recall@10 vs exact search", f"{chosen['recall_at_10']:.3f}", ""),
        (
            "  same with flat indexes, 2 / 1 FAISS threads",
            f"p50 {large['rank']['flat']['total_ms']['p50']:.1f} / "
            f"{large['rank']['flat']['total_ms_faiss_1_thread']['p50']:.1f} ms",
            "",
        ),
    ]
    rows += [
        (f"  stage {stage} ({chosen['type']})", _ms(chosen[f"{stage}_ms"]), "")
        for stage in ("encode", "dense_search", "lexical", "fusion", "select", "other")
        if f"{stage}_ms" in chosen
    ]
    for kind, figures in large["search"].items():
        rows.append(
            (
                f"  FAISS {kind} ({figures['type']}), 1 / 2 threads",
                f"{figures['search_ms_1_thread']['p50']:.2f} / {figures['search_ms_2_thread']['p50']:.2f} ms",
                f"recall@10 {figures['recall_at_10']:.3f}, @50 {figures['recall_at_50']:.3f}"
                + (f", built in {figures['build_s']:.1f} s" if figures["build_s"] is not None else ""),
            )
        )
    onnx, faiss = threads["onnx_encode_ms_by_intra_op_threads"], threads["warm_answer_ms_by_faiss_threads"]
    typo, two = threads["typo_corrector"], threads["onnx_encode_ms_two_callers_by_intra_op_threads"]
    rows += [
        ("ONNX encode p50, 1 / 2 intra-op threads", f"{onnx['1']['p50']:.2f} / {onnx['2']['p50']:.2f} ms", ""),
        (
            "  two callers at once (as serve), 1 / 2 threads",
            f"{two['1']['p50']:.2f} / {two['2']['p50']:.2f} ms",
            f"{two['1']['per_s']:.0f} / {two['2']['per_s']:.0f} encodes/s",
        ),
        ("warm answer p50, 1 / 2 FAISS threads", f"{faiss['1']['p50']:.2f} / {faiss['2']['p50']:.2f} ms", ""),
        (
            f"typo correction of a new word, {typo['guide_vocabulary_words']:,} / "
            f"{typo['large_vocabulary_words']:,}-word vocabulary",
            f"{typo['guide_ms_per_word']['p50']:.1f} / {typo['large_ms_per_word']['p50']:.0f} ms",
            "p50 (query.correct, difflib)",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"{name:<{width}}  {value:<22} {note}".rstrip() for name, value, note in rows]
    lines += ["", "targets:"]
    for target in results["targets"]:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[target["met"]]
        value = "-" if target["value"] is None else f"{target['value']:.3g}"
        lines.append(f"  {target['target']:<42} {value:>8}  limit {target['limit']:g} {target['unit']:<4} {verdict}")
    environment = results["environment"]
    lines.append(
        f"\n{environment['cpus']} CPUs; load average before {environment['load_before'][0]:.2f}, "
        f"after {environment['load_after'][0]:.2f}; {results['seconds']:.0f} s in all"
    )
    return "\n".join(lines)


def _ms(summary: dict) -> str:
    return f"p50 {summary['p50']:.2f} p95 {summary['p95']:.2f} ms"


def _ratios(figures: dict) -> str:
    return f"{figures['ratio_to_baseline_onnx']:.2f}x ONNX baseline, {figures['ratio_to_baseline_st']:.2f}x ST baseline"


def _rounded(value):
    """JSON for numpy scalars and tuples."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
