//! What every benchmark shares: figures over several runs (median, min, max), each beside
//! the limit measured in the same run on the same machine, and one table to print them.
//! Machines here are shared and noisy, so a ratio to a limit means more than a time.

#![allow(dead_code)]

use std::time::Duration;

/// How many times each figure is measured: `BENCH_RUNS`, 5 when unset.
pub fn runs() -> usize {
    std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(5)
}

/// A size scaled by `BENCH_SCALE` (1.0 when unset): smaller for a quick look.
pub fn scaled(n: usize) -> usize {
    let scale: f64 = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(1.0);
    ((n as f64 * scale).round() as usize).max(1)
}

/// One figure over several runs.
#[derive(Debug, Clone, Default)]
pub struct Samples(Vec<f64>);

impl Samples {
    pub fn push(&mut self, value: f64) {
        self.0.push(value);
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    pub fn median(&self) -> f64 {
        let v = self.sorted();
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    pub fn min(&self) -> f64 {
        self.sorted().first().copied().unwrap_or(f64::NAN)
    }

    pub fn max(&self) -> f64 {
        self.sorted().last().copied().unwrap_or(f64::NAN)
    }
}

/// The `q` quantile (0.0–1.0) of latencies, in milliseconds.
pub fn quantile_ms(latencies: &mut [Duration], q: f64) -> f64 {
    if latencies.is_empty() {
        return f64::NAN;
    }
    latencies.sort_unstable();
    let i = ((latencies.len() - 1) as f64 * q).round() as usize;
    latencies[i].as_secs_f64() * 1000.0
}

/// What a figure must be, to say whether it is met.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    /// The figure's median at least this much.
    AtLeast(f64),
    /// At most this much.
    AtMost(f64),
    /// The figure over its limit (both medians) at least this much.
    RatioAtLeast(f64),
    /// The figure over its limit at most this much.
    RatioAtMost(f64),
    /// Shown for reference; no goal of its own.
    None,
}

pub struct Row {
    pub figure: String,
    pub unit: &'static str,
    pub samples: Samples,
    /// The limit beside it: what it is, and its runs.
    pub limit: Option<(String, Samples)>,
    pub goal: Goal,
    pub goal_text: String,
}

#[derive(Default)]
pub struct Table {
    pub title: String,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn new(title: &str) -> Table {
        Table {
            title: title.to_string(),
            rows: Vec::new(),
        }
    }

    pub fn add(
        &mut self,
        figure: &str,
        unit: &'static str,
        samples: Samples,
        limit: Option<(&str, Samples)>,
        goal: Goal,
        goal_text: &str,
    ) {
        self.rows.push(Row {
            figure: figure.to_string(),
            unit,
            samples,
            limit: limit.map(|(what, s)| (what.to_string(), s)),
            goal,
            goal_text: goal_text.to_string(),
        });
    }

    /// Whether a row meets its goal; `None` when it has none.
    pub fn verdict(row: &Row) -> Option<bool> {
        let median = row.samples.median();
        let ratio = row
            .limit
            .as_ref()
            .map(|(_, l)| median / l.median())
            .unwrap_or(f64::NAN);
        match row.goal {
            Goal::AtLeast(v) => Some(median >= v),
            Goal::AtMost(v) => Some(median <= v),
            Goal::RatioAtLeast(v) => Some(ratio >= v),
            Goal::RatioAtMost(v) => Some(ratio <= v),
            Goal::None => None,
        }
    }

    /// Prints the table as Markdown, so it can go into BENCHMARKS.md as it is.
    pub fn print(&self) {
        println!("\n### {} ({} runs)\n", self.title, runs());
        println!(
            "| figure | median | min | max | limit measured alongside (median) | ratio | goal | met |"
        );
        println!("|---|---:|---:|---:|---|---:|---|---|");
        for row in &self.rows {
            let s = &row.samples;
            let (limit, ratio) = match &row.limit {
                Some((what, l)) => (
                    format!("{what}: {}", number(l.median())),
                    format!("{:.2}×", s.median() / l.median()),
                ),
                None => ("—".into(), "—".into()),
            };
            let met = match Table::verdict(row) {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "—",
            };
            println!(
                "| {} ({}) | {} | {} | {} | {} | {} | {} | {} |",
                row.figure,
                row.unit,
                number(s.median()),
                number(s.min()),
                number(s.max()),
                limit,
                ratio,
                row.goal_text,
                met
            );
        }
    }
}

/// A figure with as many decimals as it needs to be read.
fn number(v: f64) -> String {
    if !v.is_finite() {
        "—".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}
