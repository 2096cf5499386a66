// Rendering a result: a compact text table for the terminal and a Markdown report in the style
// of the predecessor's performance reviews (metric, target, median, p95, status).
import type { BaselineComparison, BenchResult, MetricResult, TargetResult } from "./result.ts";
import { slowTail95 } from "./stats.ts";
import { fmt } from "./units.ts";

const STATUS_MD: Record<TargetResult["status"], string> = { pass: "✅ pass", fail: "❌ FAIL", miss: "🟡 MISS (goal, not enforced)", "not-checked": "⚠️ not checked", "not-run": "—" };

function cv(m: MetricResult): string {
  const s = m.stats;
  return s.n > 1 && s.mean !== 0 ? `${((100 * s.stddev) / Math.abs(s.mean)).toFixed(1)}%` : "-";
}

function ratio(m: MetricResult): string {
  return m.ratio === undefined ? "" : `${m.ratio.toFixed(m.ratio >= 10 ? 1 : 3)} x ${m.reference!.split(".")[0]}`;
}

/** Left-aligned first column, right-aligned numbers; plain spaces so it survives any log viewer. */
function textTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const w = header.map((_, c) => Math.max(...all.map((r) => [...(r[c] ?? "")].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(w[c]) : cell.padStart(w[c]))).join("  ").trimEnd();
  return [line(header), line(w.map((n) => "-".repeat(n))), ...rows.map(line)].join("\n");
}

function load(share: number | undefined): string {
  return share === undefined ? "" : `${Math.round(100 * share)}%`;
}

function targetText(t: TargetResult): string {
  return `${t.statistic} ${t.comparison} ${t.value} ${t.unit}`;
}

/** The human output: one row per metric, then targets, then baseline verdicts. */
export function renderText(r: BenchResult): string {
  const out: string[] = [];
  out.push(`musicfs bench${r.quick ? " --quick" : ""}: ${r.machine.cpus} x ${r.machine.cpuModel}, bun ${r.bun}${r.commit ? `, commit ${r.commit}` : ""}`);
  out.push("p95 = the slow tail: 95th percentile of times, 5th percentile of rates; others cpu = share of the CPUs other processes used meanwhile", "");
  // Only measured metrics go in the table (long reasons would stretch its columns); the rest
  // follow as one line each.
  const rows: string[][] = [];
  const unmeasured: string[] = [];
  for (const s of r.scenarios) {
    if (s.status !== "ok") {
      unmeasured.push(`  ${s.id}: ${s.status}: ${s.reason ?? ""}`);
      continue;
    }
    for (const m of s.metrics) {
      if (m.stats.n === 0) {
        unmeasured.push(`  ${m.key}: not measured`);
        continue;
      }
      rows.push([m.key, `${fmt(m.stats.median)} ${m.unit}`, fmt(slowTail95(m.stats, m.better)), fmt(m.stats.mean), cv(m), fmt(m.stats.min), fmt(m.stats.max), String(m.stats.n), ratio(m), load(s.othersCpu)]);
    }
  }
  if (rows.length) out.push(textTable(["metric", "median", "p95", "mean", "cv", "min", "max", "n", "vs reference", "others cpu"], rows));
  if (unmeasured.length) out.push(...(rows.length ? [""] : []), ...unmeasured);
  const notes = r.scenarios.flatMap((s) => s.notes.map((n) => `  ${s.id}: ${n}`));
  if (notes.length) out.push("", "notes:", ...notes);
  const shown = r.targets.filter((t) => t.status !== "not-run");
  if (shown.length) {
    out.push("");
    out.push(
      textTable(
        ["target", "metric", "wanted", "measured", "status"],
        shown.map((t) => [t.id, t.metric, targetText(t), t.measured === undefined ? "-" : `${fmt(t.measured)} ${t.unit}`, t.status === "not-checked" ? "not checked" : t.status.toUpperCase()]),
      ),
    );
    for (const t of shown) if (t.status === "not-checked") out.push(`  ${t.id} not checked: ${t.reason}`);
  }
  if (r.baseline) {
    out.push("", `baseline ${r.baseline.file} (${r.baseline.date})${baselineWarning(r)}:`);
    for (const c of r.baseline.comparisons.filter((x) => x.isReference)) {
      out.push(`  reference ${c.key} ${fmt(c.baselineMedian)} -> ${fmt(c.currentMedian)} ${c.unit} (${pct(c.change)}: the machine, not counted)`);
    }
    const moved = r.baseline.comparisons.filter((c) => !c.isReference && (c.verdict === "regression" || c.verdict === "improvement"));
    for (const c of r.baseline.comparisons.filter((x) => x.reason?.startsWith("would be"))) out.push(`  under load, not counted: ${c.key} ${fmt(c.baselineMedian)} -> ${fmt(c.currentMedian)} ${c.unit} ${c.reason}`);
    if (moved.length === 0) out.push("  no change beyond noise");
    for (const c of moved) out.push(`  ${c.verdict.toUpperCase()}: ${c.key} ${fmt(c.baselineMedian)} -> ${fmt(c.currentMedian)} ${c.unit} (${describeChange(c)})`);
  }
  const s = r.summary;
  out.push("", `targets: ${s.passed} passed, ${s.failed} failed, ${s.missedGoals} goal(s) not met (not enforced), ${s.notChecked} not checked${s.errors ? `; ${s.errors} scenario error(s)` : ""}${r.baseline ? `; ${s.regressions} regression(s), ${s.improvements} improvement(s)` : ""}`);
  return out.join("\n") + "\n";
}

/** Why a baseline comparison may mislead: another machine kind, or --quick sizes against full ones. */
function baselineWarning(r: BenchResult): string {
  const w: string[] = [];
  if (r.baseline?.machineDiffers) w.push("measured on a different machine kind");
  if (r.baseline?.quickDiffers) w.push(r.quick ? "the baseline is a full run, this one --quick" : "the baseline is a --quick run, this one full");
  return w.length ? ` — WARNING: ${w.join("; ")}` : "";
}

/** "-20.0%, threshold 5.0%", plus the change relative to the reference when there is one. */
function describeChange(c: BaselineComparison): string {
  const abs = `${pct(c.change)}, threshold ${pct(c.threshold, false)}`;
  return c.referenceChange === undefined ? abs : `${abs}; relative to the reference ${pct(c.referenceChange)}, threshold ${pct(c.referenceThreshold ?? 0, false)}`;
}

function pct(x: number, signed = true): string {
  return `${signed && x > 0 ? "+" : ""}${(100 * x).toFixed(1)}%`;
}

/** Escapes what would break a Markdown table cell. */
function md(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function renderMarkdown(r: BenchResult): string {
  const out: string[] = [];
  out.push(`# musicfs bench${r.quick ? " (quick)" : ""}`, "");
  out.push(`Date: ${r.date}  `);
  if (r.commit) out.push(`Commit: ${r.commit}  `);
  out.push(`System: ${r.machine.platform}-${r.machine.arch}, kernel ${r.machine.kernel}, ${r.machine.cpus} x ${r.machine.cpuModel}, ${(r.machine.memoryBytes / 2 ** 30).toFixed(0)} GiB  `);
  out.push(`Runtime: Bun ${r.bun}`, "");
  out.push("p95 is the slow tail: the value 95 % of repetitions were at least as good as (95th percentile of times, 5th percentile of rates). Others' CPU: the share of all CPUs other processes used while the scenario was measured (above 25 % a baseline comparison is not trusted).", "");

  out.push("## Targets", "");
  out.push("| ID | Metric | Target | Median | p95 | Status |", "|---|---|---|---|---|---|");
  for (const s of r.scenarios) {
    for (const m of s.metrics) {
      if (!m.reference && m.stats.n > 0 && r.scenarios.some((x) => x.metrics.some((y) => y.reference === m.key))) {
        out.push(`| reference | ${m.key} | — | ${fmt(m.stats.median)} ${m.unit} | ${fmt(slowTail95(m.stats, m.better))} ${m.unit} | — |`);
      }
    }
  }
  for (const t of r.targets.filter((x) => x.status !== "not-run")) {
    const m = r.scenarios.flatMap((s) => s.metrics).find((x) => x.key === t.metric);
    const has = m && m.stats.n > 0;
    const med = has ? `${fmt(m.stats.median)} ${m.unit}` : "—";
    const p95 = has ? `${fmt(slowTail95(m.stats, m.better))} ${m.unit}` : "—";
    const status = STATUS_MD[t.status] + (t.status === "not-checked" && t.reason ? ` (${md(t.reason)})` : "");
    out.push(`| ${md(t.nfr ? `${t.id} (${t.nfr})` : t.id)} | ${t.metric} | ${md(targetText(t))} | ${med} | ${p95} | ${status} |`);
  }
  const notes = r.targets.filter((t) => t.status !== "not-run" && t.note);
  if (notes.length) out.push("", ...notes.map((t) => `- **${md(t.id)}**: ${t.note}`));

  out.push("", "## All metrics", "");
  out.push("| Metric | Median | p95 | Mean | Stddev | Min | Max | n | vs reference | Others' CPU |", "|---|---|---|---|---|---|---|---|---|---|");
  for (const s of r.scenarios) {
    if (s.status !== "ok") {
      out.push(`| ${s.id} | ${s.status}: ${md(s.reason ?? "")} | | | | | | | | |`);
      continue;
    }
    for (const m of s.metrics) {
      const st = m.stats;
      if (st.n === 0) {
        out.push(`| ${m.key} | not measured | | | | | | 0 | | |`);
        continue;
      }
      out.push(`| ${m.key} | ${fmt(st.median)} ${m.unit} | ${fmt(slowTail95(st, m.better))} | ${fmt(st.mean)} | ${fmt(st.stddev)} | ${fmt(st.min)} | ${fmt(st.max)} | ${st.n} | ${ratio(m)} | ${load(s.othersCpu)} |`);
    }
  }
  const sn = r.scenarios.filter((s) => s.notes.length);
  if (sn.length) out.push("", ...sn.flatMap((s) => s.notes.map((n) => `- ${s.id}: ${md(n)}`)));

  if (r.baseline) {
    out.push("", "## Against the baseline", "");
    out.push(`Baseline: ${md(r.baseline.file)} (${r.baseline.date})${baselineWarning(r)}. A change counts only beyond max(5 %, 3 x pooled relative MAD), and for metrics with a reference also relative to it (median / the same run's reference median): both must agree.`, "");
    out.push("| Metric | Baseline median | Median | Delta (threshold) | Delta vs reference (threshold) | Verdict |", "|---|---|---|---|---|---|");
    for (const c of r.baseline.comparisons) {
      const verdict = c.isReference
        ? "reference (the machine; not counted)"
        : c.verdict === "regression"
          ? "❌ regression"
          : c.verdict === "improvement"
            ? "✅ improvement"
            : c.verdict === "within-noise"
              ? "within noise"
              : `not compared (${md(c.reason ?? "")})`;
      const abs = c.threshold ? `${pct(c.change)} (${pct(c.threshold, false)})` : pct(c.change);
      const vsRef = c.referenceChange === undefined ? "—" : `${pct(c.referenceChange)} (${pct(c.referenceThreshold ?? 0, false)})`;
      out.push(`| ${c.key} | ${fmt(c.baselineMedian)} ${c.unit} | ${fmt(c.currentMedian)} ${c.unit} | ${abs} | ${vsRef} | ${verdict} |`);
    }
  }
  return out.join("\n") + "\n";
}
