//! The transcript of a run as plain text.

use std::fmt::Write as _;

use super::{BeatReport, LedgerLine, RunReport};
use crate::sim::describe::Lang;

/// Renders a run report as the transcript `ackscope run` prints.
pub fn transcript(report: &RunReport) -> String {
    let zh = report.lang == Lang::Zh;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  ({}, seed {})",
        report.lesson.title, report.lesson.id, report.seed
    );
    let _ = writeln!(
        out,
        "{} {}",
        if zh { "讲解：" } else { "Teaches:" },
        report.lesson.teaches
    );
    for beat in &report.beats {
        beat_section(&mut out, beat, report.beats.len(), zh);
    }
    let _ = writeln!(out, "\n{}", if zh { "消息账本" } else { "Ledger" });
    for line in &report.ledger {
        ledger_line(&mut out, line, report.lang);
    }
    summary(&mut out, report);
    out
}

fn beat_section(out: &mut String, beat: &BeatReport, beats: usize, zh: bool) {
    let _ = writeln!(
        out,
        "\n── {} {}/{beats}: {} ──",
        if zh { "第" } else { "Beat" },
        beat.index,
        beat.title
    );
    let _ = writeln!(out, "{}", beat.narration);
    if let Some(q) = &beat.question {
        let _ = writeln!(out, "  ? {}", q.question);
        for (i, choice) in q.choices.iter().enumerate() {
            let mark = if i + 1 == q.answer { " ←" } else { "" };
            let _ = writeln!(out, "    {}) {choice}{mark}", i + 1);
        }
    }
    for line in collapse_repeats(&beat.events) {
        let _ = writeln!(out, "{line}");
    }
    if let Some(q) = &beat.question {
        let _ = writeln!(
            out,
            "  {} {}",
            if zh { "解释：" } else { "Why:" },
            q.explain
        );
    }
    for e in &beat.expectations {
        if e.holds {
            let _ = writeln!(out, "  ✓ {}", e.fact);
        } else {
            let _ = writeln!(
                out,
                "  ✗ {}: {} {}",
                e.fact,
                if zh { "实际" } else { "actually" },
                e.actual
            );
        }
    }
}

/// The shape of an event line: its words with every number blanked, so that retries differing
/// only in times and attempt counts look alike.
fn shape(text: &str) -> String {
    let mut shape = String::with_capacity(text.len());
    for c in text.chars() {
        if !c.is_ascii_digit() {
            shape.push(c);
        } else if !shape.ends_with('#') {
            shape.push('#');
        }
    }
    shape
}

/// Event lines, with a cycle of lines that repeats again and again (a producer retrying for two
/// minutes) shown once, then counted, then shown for the last time.
fn collapse_repeats(events: &[super::EventLine]) -> Vec<String> {
    const SHOWN_AFTER: usize = 3;
    let line = |e: &super::EventLine| format!("  [{:>8} ms] {}", e.time_ms, e.text);
    let shapes: Vec<String> = events.iter().map(|e| shape(&e.text)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let cycle = (1..=4).find(|&k| {
            let repeats = (i + k..shapes.len())
                .take_while(|&j| shapes[j] == shapes[j - k])
                .count();
            repeats >= SHOWN_AFTER * k
        });
        let Some(k) = cycle else {
            out.push(line(&events[i]));
            i += 1;
            continue;
        };
        let run_end = (i + k..shapes.len())
            .take_while(|&j| shapes[j] == shapes[j - k])
            .last()
            .map_or(i + k, |j| j + 1);
        let cycles = (run_end - i) / k;
        out.extend(events[i..i + k].iter().map(line));
        out.push(format!("  … the same {} more time(s) …", cycles - 2));
        let last = i + (cycles - 1) * k;
        out.extend(events[last..last + k].iter().map(line));
        i += cycles * k;
    }
    out
}

fn ledger_line(out: &mut String, line: &LedgerLine, lang: Lang) {
    let ack = match (line.acked, line.offset, &line.error) {
        (true, Some(o), _) => format!("acked @{o}"),
        (true, None, _) => "acked (acks=0)".to_string(),
        (false, _, Some(e)) => format!("failed: {e}"),
        (false, _, None) => "not acked".to_string(),
    };
    let copies: Vec<String> = line
        .replicas
        .iter()
        .map(|c| {
            format!(
                "B{}@{}:{}",
                c.broker,
                c.offset,
                if c.storage == "disk" { "disk" } else { "cache" }
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "  {:<6} {:<22} {:<30} delivered {} processed {}{}{}  {}",
        line.id,
        ack,
        if copies.is_empty() {
            "—".to_string()
        } else {
            copies.join(" ")
        },
        line.delivered,
        line.processed,
        if line.duplicated { "  DUPLICATED" } else { "" },
        if line.skipped { "  SKIPPED" } else { "" },
        line.verdict.label(lang),
    );
    if let Some(why) = &line.error_explained {
        let _ = writeln!(out, "         {why}");
    }
}

fn summary(out: &mut String, report: &RunReport) {
    let total: usize = report.beats.iter().map(|b| b.expectations.len()).sum();
    let failed: usize = report
        .beats
        .iter()
        .map(|b| b.expectations.iter().filter(|e| !e.holds).count())
        .sum();
    let _ = writeln!(out);
    if let Some(error) = &report.error {
        let _ = writeln!(out, "STOPPED: {error}");
    }
    if failed == 0 && report.error.is_none() {
        let _ = writeln!(out, "{total} expectations hold.");
        return;
    }
    let _ = writeln!(out, "{failed} of {total} expectations FAILED:");
    for beat in &report.beats {
        for e in beat.expectations.iter().filter(|e| !e.holds) {
            let _ = writeln!(
                out,
                "  beat {} ({}): expected {}, actually {}",
                beat.index, beat.title, e.fact, e.actual
            );
        }
    }
}
