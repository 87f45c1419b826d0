//! Charts as inline SVG, drawn on the server: columns over time with a
//! share line on a second axis (mention volume and negative share), and
//! labelled horizontal bars (topics, SLA percentiles). Labels and tooltips
//! are escaped; nothing is fetched and nothing runs in the browser (hover
//! tooltips are SVG `<title>` elements).

use std::fmt::Write as _;

use super::html::Esc;

const WIDTH: f64 = 760.0;

/// One column of a time chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Axis label (shown for some columns only, when they are many).
    pub label: String,
    /// Hover text.
    pub tooltip: String,
    pub value: f64,
    /// 0..=1, drawn as a line on the right-hand axis; `None` leaves a gap.
    pub share: Option<f64>,
}

/// Columns for `value_name` with a line for `share_name` (in percent).
pub fn columns_with_share(title: &str, value_name: &str, share_name: &str, columns: &[Column]) -> String {
    let (left, right, top, bottom, height) = (44.0, 48.0, 24.0, 28.0, 220.0);
    let (plot_w, plot_h) = (WIDTH - left - right, height - top - bottom);
    let max = nice_ceiling(columns.iter().map(|c| c.value).fold(0.0, f64::max));
    let mut s = open(title, height);
    let _ = write!(
        s,
        r##"<text x="{left}" y="14" font-size="11" fill="#445"><tspan fill="#7aa6d8">■</tspan> {} <tspan fill="#c0392b" dx="8">●</tspan> {}</text>"##,
        Esc(value_name),
        Esc(share_name),
    );
    for frac in [0.0, 0.5, 1.0] {
        let y = top + plot_h * (1.0 - frac);
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e5ea"/><text x="{lx}" y="{ty:.1}" font-size="10" text-anchor="end" fill="#667">{v}</text><text x="{rx}" y="{ty:.1}" font-size="10" fill="#c0392b">{p}%</text>"##,
            x2 = left + plot_w,
            lx = left - 4.0,
            rx = left + plot_w + 4.0,
            ty = y + 3.0,
            v = number(max * frac),
            p = (frac * 100.0) as u32,
        );
    }
    let n = columns.len().max(1) as f64;
    let step = plot_w / n;
    let every = columns.len().div_ceil(8).max(1);
    let mut line = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        let x = left + step * i as f64;
        let h = if max > 0.0 { plot_h * c.value / max } else { 0.0 };
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="#7aa6d8"><title>{}</title></rect>"##,
            x + step * 0.1,
            top + plot_h - h,
            (step * 0.8).max(0.5),
            Esc(&c.tooltip),
        );
        if let Some(share) = c.share {
            line.push((x + step / 2.0, top + plot_h * (1.0 - share.clamp(0.0, 1.0))));
        }
        if i % every == 0 {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#667">{}</text>"##,
                x + step / 2.0,
                height - 10.0,
                Esc(&c.label),
            );
        }
    }
    if !line.is_empty() {
        let points: Vec<String> = line.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ =
            write!(s, r##"<polyline points="{}" fill="none" stroke="#c0392b" stroke-width="1.5"/>"##, points.join(" "));
        for (x, y) in &line {
            let _ = write!(s, r##"<circle cx="{x:.1}" cy="{y:.1}" r="2" fill="#c0392b"/>"##);
        }
    }
    s.push_str("</svg>");
    s
}

/// One labelled bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as shown after the bar.
    pub text: String,
}

/// Horizontal bars, longest = the largest value.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    let (label_w, text_w, row) = (190.0, 90.0, 22.0);
    let height = row * bars.len().max(1) as f64 + 8.0;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let mut s = open(title, height);
    for (i, b) in bars.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let w = if max > 0.0 { (WIDTH - label_w - text_w) * b.value / max } else { 0.0 };
        let _ = write!(
            s,
            r##"<text x="{lx}" y="{ty:.1}" font-size="12" text-anchor="end" fill="#1d2330">{label}</text><rect x="{label_w}" y="{y:.1}" width="{w:.1}" height="{h}" fill="#7aa6d8"><title>{label}: {text}</title></rect><text x="{vx:.1}" y="{ty:.1}" font-size="12" fill="#445">{text}</text>"##,
            lx = label_w - 6.0,
            ty = y + 14.0,
            h = row - 6.0,
            vx = label_w + w + 6.0,
            label = Esc(&b.label),
            text = Esc(&b.text),
        );
    }
    s.push_str("</svg>");
    s
}

fn open(title: &str, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = Esc(title),
    )
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `v` (1 for nothing), so axis
/// labels are round.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 1.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * mag).find(|c| *c >= v).unwrap_or(10.0 * mag)
}

/// An axis number without a pointless fraction.
fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_axis_maxima() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(13.0), 20.0);
        assert_eq!(nice_ceiling(200.0), 200.0);
        assert_eq!(nice_ceiling(201.0), 500.0);
    }

    #[test]
    fn columns_draw_one_bar_each_and_a_share_line() {
        let col = |v: f64, share| Column { label: format!("d{v}"), tooltip: format!("<{v}>"), value: v, share };
        let svg = columns_with_share("Acme <Air>", "mentions", "negative", &[col(4.0, Some(0.5)), col(0.0, None)]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 1, "no share point for an empty bucket");
        assert!(svg.contains("Acme &lt;Air&gt;") && svg.contains("&lt;4&gt;"));
        assert!(!svg.contains("<Air>"));
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let bar = |l: &str, v: f64| Bar { label: l.into(), value: v, text: format!("{v}") };
        let svg = bars("topics", &[bar("delay", 10.0), bar("<b>", 5.0)]);
        assert!(svg.contains(r#"width="480.0""#) && svg.contains(r#"width="240.0""#), "{svg}");
        assert!(svg.contains("&lt;b&gt;"));
        assert!(bars("empty", &[]).ends_with("</svg>"));
    }
}
