//! The metrics pane: Kafka's own metrics under Kafka's names — per metric the value now, the
//! selected broker's share, the change since the start of the beat (or the learner's last
//! command) and a sparkline over simulated time. A metric the latest step moved is marked `▸`
//! and highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::sim::metrics::metric;
use crate::sim::{Lang, Time};

use super::super::app::Lab;
use super::super::metrics::{MetricHistory, Owner};
use super::super::text::{pad, width};
use super::super::theme::Theme;
use super::{draw_line, pane};

pub struct MetricsPane<'a> {
    pub lab: &'a Lab,
    pub theme: &'a Theme,
    pub lang: Lang,
}

/// Columns of a metric row besides its name.
const MARK: usize = 2;
const VALUE: usize = 9;
const BROKER: usize = 7;
const CHANGE: usize = 10;
/// Narrowest sparkline worth drawing.
const MIN_SPARK: usize = 6;

/// Sparkline levels, lowest first. Zero is drawn as the lowest level, dimmed, so a quiet metric
/// reads as a flat line and any non-zero value stands above it.
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// What a row of the pane shows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Row {
    /// The heading of a metric group (index of its first metric).
    Heading(usize),
    Metric(usize),
}

/// `1`, `0.017`, `32.0 MiB`: whole numbers as they are, rates to three decimals, bytes in units.
fn format_value(name: &str, value: f64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if name.ends_with("-bytes") && value.abs() >= 1024.0 {
        return if value.abs() >= MIB {
            format!("{:.1} MiB", value / MIB)
        } else {
            format!("{:.1} KiB", value / 1024.0)
        };
    }
    if value.fract() == 0.0 {
        return format!("{value:.0}");
    }
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `+1`, `-0.017`, or `·` for no change.
fn format_change(name: &str, change: f64) -> String {
    if change == 0.0 {
        "·".to_string()
    } else if change > 0.0 {
        format!("+{}", format_value(name, change))
    } else {
        format!("-{}", format_value(name, -change))
    }
}

/// Simulated time for the sparkline's axis: `0s`, `0.509s`, `120s`.
fn short_time(ms: Time) -> String {
    let text = format!("{}.{:03}", ms / 1000, ms % 1000);
    format!("{}s", text.trim_end_matches('0').trim_end_matches('.'))
}

/// `0s      120s` over the sparkline: where its first and last columns are in simulated time.
fn time_axis((from, to): (Time, Time), columns: usize) -> String {
    let (start, end) = (short_time(from), short_time(to));
    let gap = columns.saturating_sub(width(&start) + width(&end));
    if gap == 0 {
        return right(&end, columns);
    }
    format!("{start}{}{end}", " ".repeat(gap))
}

/// Right-aligns `text` in `columns`.
fn right(text: &str, columns: usize) -> String {
    format!("{}{text}", " ".repeat(columns.saturating_sub(width(text))))
}

/// The sparkline of `series`, scaled between its lowest and highest value (from zero when it
/// touches zero, so zero stays the dimmed baseline; a gauge far from zero, like the free buffer,
/// still shows its dips).
fn sparkline(series: &[f64], style: Style, theme: &Theme) -> Vec<Span<'static>> {
    let top = series.iter().copied().fold(0.0, f64::max);
    let low = series.iter().copied().fold(top, f64::min);
    let floor = if low > 0.0 && low < top { low } else { 0.0 };
    series
        .iter()
        .map(|&v| {
            if v <= 0.0 {
                return Span::styled(LEVELS[0].to_string(), theme.dim);
            }
            if v <= floor {
                return Span::styled(LEVELS[0].to_string(), style);
            }
            // Level 1 and up: anything above the floor stands above it.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let level = (((v - floor) / (top - floor)) * 7.0).ceil().clamp(1.0, 7.0) as usize;
            Span::styled(LEVELS[level].to_string(), style)
        })
        .collect()
}

/// How wide each column is drawn, given the pane's inner width.
struct Widths {
    name: usize,
    broker: usize,
    spark: usize,
}

impl MetricsPane<'_> {
    fn history(&self) -> &MetricHistory {
        &self.lab.metrics
    }

    /// Rows the pane wants: a heading per group, a row per metric.
    fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let mut owner: Option<&Owner> = None;
        for (i, (o, _, _)) in self.history().tracked().iter().enumerate() {
            if owner != Some(o) {
                rows.push(Row::Heading(i));
                owner = Some(o);
            }
            rows.push(Row::Metric(i));
        }
        rows
    }

    /// The pane's height with every row shown, borders included.
    pub fn height(&self) -> u16 {
        u16::try_from(self.rows().len() + 2).unwrap_or(u16::MAX)
    }

    /// Whether metric `i` has not changed all along: it tells nothing yet, so it is hidden first
    /// when room is short.
    fn quiet(&self, i: usize) -> bool {
        let samples = self.history().samples();
        let first = samples.first().and_then(|s| s.values.get(i));
        samples.iter().all(|s| s.values.get(i) == first)
    }

    /// The rows that fit in `height`, and how many metrics were left out to make room: first
    /// those unchanged all along, then those that did not change in this beat (or since the last
    /// command), from the bottom up. What just moved stays.
    fn fitting(&self, height: usize) -> (Vec<Row>, usize) {
        let history = self.history();
        let mut rows = self.rows();
        let mut hidden = 0;
        let still = |i: usize| !history.moved(i) && history.change(i) == 0.0;
        let tests: [&dyn Fn(usize) -> bool; 2] = [&|i| self.quiet(i), &still];
        for dispensable in tests {
            while rows.len() + usize::from(hidden > 0) > height {
                let Some(at) = rows
                    .iter()
                    .rposition(|r| matches!(r, Row::Metric(i) if dispensable(*i)))
                else {
                    break;
                };
                rows.remove(at);
                hidden += 1;
                // Its heading goes with the group's last metric, leaving room for another.
                let heading_alone = at > 0
                    && matches!(rows[at - 1], Row::Heading(_))
                    && !matches!(rows.get(at), Some(Row::Metric(_)));
                if heading_alone {
                    rows.remove(at - 1);
                }
            }
        }
        // A heading left with no metric under it goes too.
        let mut kept: Vec<Row> = Vec::with_capacity(rows.len());
        for (k, row) in rows.iter().enumerate() {
            let orphan =
                matches!(row, Row::Heading(_)) && !matches!(rows.get(k + 1), Some(Row::Metric(_)));
            if !orphan {
                kept.push(*row);
            }
        }
        kept.truncate(height.saturating_sub(usize::from(hidden > 0)));
        (kept, hidden)
    }

    fn widths(&self, inner_width: usize) -> Widths {
        let name = self
            .history()
            .tracked()
            .iter()
            .map(|(_, n, _)| width(n))
            .max()
            .unwrap_or(0)
            + 1;
        let fixed = MARK + name + VALUE + CHANGE + 1;
        let room = inner_width.saturating_sub(fixed);
        // The selected broker's column goes before the sparkline gets too narrow to read.
        let broker = if room >= BROKER + MIN_SPARK {
            BROKER
        } else {
            0
        };
        let spark = room - broker;
        Widths {
            name,
            broker,
            spark: if spark >= MIN_SPARK { spark } else { 0 },
        }
    }

    fn heading(&self, first: usize, widths: &Widths, span: (Time, Time)) -> Line<'static> {
        let (theme, lang) = (self.theme, self.lang);
        let (owner, _, _) = &self.history().tracked()[first];
        let label = match owner {
            Owner::Cluster => lang.pick("cluster", "集群").to_string(),
            Owner::Producer(name) => format!("{name} · producer"),
            Owner::Consumer(name) => format!("{name} · consumer"),
        };
        let mut spans = vec![Span::styled(
            pad(&format!("  {label}"), MARK + widths.name),
            theme.title,
        )];
        if first == 0 {
            let mut columns = right(lang.pick("now", "当前"), VALUE);
            if widths.broker > 0 {
                columns.push_str(&right(
                    &self.lab.selected_broker().to_string(),
                    widths.broker,
                ));
            }
            columns.push_str(&right(lang.pick("Δ", "变化"), CHANGE));
            if widths.spark > 0 {
                columns.push(' ');
                columns.push_str(&time_axis(span, widths.spark));
            }
            spans.push(Span::styled(columns, theme.dim));
        }
        Line::from(spans)
    }

    fn metric_row(&self, i: usize, widths: &Widths) -> Line<'static> {
        let theme = self.theme;
        let history = self.history();
        let (owner, name, _) = &history.tracked()[i];
        let now = history.value(i);
        let change = history.change(i);
        let moved = history.moved(i);
        let (mark, name_style) = if moved {
            ("▸ ", theme.moved)
        } else {
            ("  ", theme.base)
        };
        let value_style = if moved {
            theme.latest
        } else if now == 0.0 {
            theme.dim
        } else {
            theme.base
        };
        let mut spans = vec![
            Span::styled(mark, name_style),
            Span::styled(pad(name, widths.name), name_style),
            Span::styled(right(&format_value(name, now), VALUE), value_style),
        ];
        if widths.broker > 0 {
            // Cluster metrics the selected broker reports itself; the controller's have no broker.
            let scoped = format!("{name}:{}", self.lab.selected_broker());
            let value = (*owner == Owner::Cluster)
                .then(|| {
                    let sim = self.lab.session.sim();
                    metric(sim.world(), sim.events(), &scoped)
                })
                .flatten()
                .map_or_else(String::new, |v| format_value(name, v));
            spans.push(Span::styled(right(&value, widths.broker), theme.dim));
        }
        spans.push(Span::styled(
            right(&format_change(name, change), CHANGE),
            if change == 0.0 {
                theme.dim
            } else {
                value_style
            },
        ));
        if widths.spark > 0 {
            spans.push(Span::raw(" "));
            let style = if moved { theme.latest } else { theme.base };
            spans.extend(sparkline(&history.series(i, widths.spark), style, theme));
        }
        Line::from(spans)
    }
}

impl Widget for MetricsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (theme, lang) = (self.theme, self.lang);
        let title = match self.lab.player() {
            Some(player) => match lang {
                Lang::En => format!(
                    " Metrics · Δ since beat {} began ",
                    player.cursor().beat + 1
                ),
                Lang::Zh => format!(" 指标 · 变化自第 {} 节开始 ", player.cursor().beat + 1),
            },
            None => lang
                .pick(
                    " Metrics · Δ since your last command ",
                    " 指标 · 变化自你的上一个操作 ",
                )
                .to_string(),
        };
        let block = pane(&title, theme);
        let inner = block.inner(area);
        block.render(area, buf);
        let samples = self.history().samples();
        let span = (
            samples.first().map_or(0, |s| s.time),
            samples.last().map_or(0, |s| s.time),
        );
        let widths = self.widths(usize::from(inner.width));
        let (rows, hidden) = self.fitting(usize::from(inner.height));
        let mut lines: Vec<Line<'static>> = rows
            .iter()
            .map(|row| match *row {
                Row::Heading(first) => self.heading(first, &widths, span),
                Row::Metric(i) => self.metric_row(i, &widths),
            })
            .collect();
        if hidden > 0 {
            let words = match lang {
                Lang::En => format!("  … {hidden} more that did not change"),
                Lang::Zh => format!("  … 另有 {hidden} 项没有变化"),
            };
            lines.push(Line::styled(words, theme.dim));
        }
        for (line, row) in lines.into_iter().zip(inner.rows()) {
            draw_line(&line, row, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_like_kafka_reports_them() {
        assert_eq!(format_value("UnderReplicatedPartitions", 1.0), "1");
        assert_eq!(format_value("IsrShrinksPerSec", 1.0 / 60.0), "0.017");
        assert_eq!(
            format_value("buffer-available-bytes", 33_554_432.0),
            "32.0 MiB"
        );
        assert_eq!(format_change("record-error-rate", 0.0), "·");
        assert_eq!(format_change("records-lag-max", -2.0), "-2");
        assert_eq!(time_axis((0, 120_000), 12), "0s      120s");
        assert_eq!(time_axis((0, 509), 6), "0.509s");
    }
}
