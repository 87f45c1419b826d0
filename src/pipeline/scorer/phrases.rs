//! Phrase patterns, compiled once into one Aho-Corasick automaton.
//!
//! Owns: the pattern syntax documented at the top of `data/cues.toml`
//! (alternatives `{a|b}`, gaps `..`/`...`, `word*`, `.`, `<dur>`, `<num>`
//! and macros), its expansion into literal phrases, and finding every
//! pattern in a [`MatchText`] in one pass over it. Each pattern carries a
//! caller's tag (a cue category, a topic, politeness...); what a hit means
//! is the caller's business. A pattern with gaps is compiled as its parts,
//! and the parts' hits are chained after the scan. Expansion is capped per
//! pattern, so a data file cannot blow up the automaton. Tests:
//! `scorer/tests/text.rs`.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};

use super::text::{Kind, MatchText, DUR_MARK, NUM_MARK};

/// Most literal phrases one pattern may expand to.
pub(crate) const MAX_EXPANSIONS: usize = 20_000;
/// Words a `..` gap may skip; `...` skips twice as many.
pub(crate) const GAP: u8 = 3;

/// One pattern found in a text: tokens `first..=last` of the
/// [`MatchText`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) tag: u32,
    pub(crate) first: u32,
    pub(crate) last: u32,
}

/// A compiled pattern: its parts, in order, and the largest gap after each.
#[derive(Debug)]
struct Pattern {
    tag: u32,
    parts: u8,
    gaps: Vec<u8>,
}

/// Collects patterns, then builds the automaton.
#[derive(Debug, Default)]
pub(crate) struct BookBuilder {
    literals: HashMap<String, u32>,
    /// Per literal: the (pattern, part) pairs it stands for.
    uses: Vec<Vec<(u32, u8)>>,
    patterns: Vec<Pattern>,
}

/// Every pattern's literals in one automaton.
#[derive(Debug)]
pub(crate) struct Phrasebook {
    ac: AhoCorasick,
    uses: Vec<Vec<(u32, u8)>>,
    patterns: Vec<Pattern>,
}

impl BookBuilder {
    /// Adds `pattern` with `tag`. `macros` maps `<name>` to its text.
    pub(crate) fn add(&mut self, pattern: &str, macros: &HashMap<String, String>, tag: u32) -> Result<(), String> {
        let text = expand_macros(pattern, macros)?;
        let parts = split_parts(&text)?;
        let id = self.patterns.len() as u32;
        let mut gaps = Vec::with_capacity(parts.len());
        for (index, (nodes, gap)) in parts.iter().enumerate() {
            let mut phrases = expand(nodes)?;
            phrases.retain(|p| !p.trim().is_empty());
            if phrases.is_empty() {
                return Err(format!("{pattern:?}: a part of the pattern has no words"));
            }
            for phrase in phrases {
                let literal = literal(&phrase);
                if literal.trim().is_empty() {
                    continue;
                }
                let next = self.uses.len() as u32;
                let lit = *self.literals.entry(literal).or_insert(next);
                if lit == next {
                    self.uses.push(Vec::new());
                }
                let uses = &mut self.uses[lit as usize];
                if !uses.contains(&(id, index as u8)) {
                    uses.push((id, index as u8));
                }
            }
            gaps.push(*gap);
        }
        if parts.len() > usize::from(u8::MAX) {
            return Err(format!("{pattern:?}: too many gaps"));
        }
        self.patterns.push(Pattern { tag, parts: parts.len() as u8, gaps });
        Ok(())
    }

    pub(crate) fn build(self) -> Phrasebook {
        let mut literals: Vec<(String, u32)> = self.literals.into_iter().collect();
        literals.sort_by_key(|(_, id)| *id);
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(literals.iter().map(|(l, _)| l.as_str()))
            .expect("phrase literals are short, non-empty strings");
        Phrasebook { ac, uses: self.uses, patterns: self.patterns }
    }
}

impl Phrasebook {
    /// Every pattern in `text`, appended to `out` (not deduplicated: one
    /// pattern can match overlapping spans).
    pub(crate) fn find(&self, text: &MatchText, out: &mut Vec<Hit>) {
        // Part hits of patterns with gaps: (pattern, part, first, last).
        let mut parts: Vec<(u32, u8, u32, u32)> = Vec::new();
        for m in self.ac.find_overlapping_iter(&text.s) {
            let (first, last) = text.token_span(m.start(), m.end());
            for &(pattern, part) in &self.uses[m.pattern().as_usize()] {
                let p = &self.patterns[pattern as usize];
                if p.parts == 1 {
                    out.push(Hit { tag: p.tag, first: first as u32, last: last as u32 });
                } else {
                    parts.push((pattern, part, first as u32, last as u32));
                }
            }
        }
        if parts.is_empty() {
            return;
        }
        parts.sort_unstable();
        let mut i = 0;
        while i < parts.len() {
            let pattern = parts[i].0;
            let end = parts[i..].iter().position(|p| p.0 != pattern).map_or(parts.len(), |n| i + n);
            self.chain(&self.patterns[pattern as usize], &parts[i..end], text, out);
            i = end;
        }
    }

    /// Chains the part hits of one pattern: each next part starts after the
    /// previous one ends, within its gap, in the same sentence.
    fn chain(&self, p: &Pattern, hits: &[(u32, u8, u32, u32)], text: &MatchText, out: &mut Vec<Hit>) {
        for start in hits.iter().filter(|h| h.1 == 0) {
            let mut last = start.3;
            let mut ok = true;
            for part in 1..p.parts {
                let gap = u32::from(p.gaps[usize::from(part) - 1]);
                let next = hits
                    .iter()
                    .filter(|h| h.1 == part && h.2 > last && h.2 - last - 1 <= gap)
                    .find(|h| text.same_sentence(last as usize, h.2 as usize));
                match next {
                    Some(h) => last = h.3,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                out.push(Hit { tag: p.tag, first: start.2, last });
            }
        }
    }

    /// How many literal phrases the automaton holds.
    #[cfg(test)]
    pub(crate) fn literal_count(&self) -> usize {
        self.uses.len()
    }
}

/// `" a b c "` for a phrase; a final `word*` drops the trailing space, so
/// the phrase also matches longer words.
fn literal(phrase: &str) -> String {
    let phrase = phrase.trim();
    let (phrase, prefix) = match phrase.strip_suffix('*') {
        Some(p) => (p, true),
        None => (phrase, false),
    };
    let text = MatchText::pattern(phrase);
    let mut out = String::with_capacity(phrase.len() + 2);
    // Skip the virtual breaks MatchText adds at both ends, but keep a
    // pattern's own `.`: a phrase made only of breaks is a break.
    let tokens = &text.tokens;
    let mut from = 1;
    let mut to = tokens.len().saturating_sub(1);
    if phrase.starts_with(['.', '!', '?']) {
        from = 0;
    }
    if phrase.ends_with(['.', '!', '?']) && to > from {
        to = tokens.len();
    }
    for i in from..to.max(from) {
        out.push(' ');
        out.push_str(match tokens[i].kind {
            Kind::Num => "_num",
            Kind::Dur => "_dur",
            Kind::Break => ".",
            _ => text.word(i),
        });
    }
    if !prefix {
        out.push(' ');
    }
    out
}

/// Replaces `<name>` by its macro and `<dur>`, `_dur`, `_num` by their
/// marks.
fn expand_macros(pattern: &str, macros: &HashMap<String, String>) -> Result<String, String> {
    let mut text = pattern.replace("<dur>", &DUR_MARK.to_string());
    for _ in 0..4 {
        if !text.contains('<') {
            break;
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(open) = rest.find('<') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('>').ok_or_else(|| format!("{pattern:?}: '<' without '>'"))?;
            let name = &rest[open + 1..open + close];
            match name {
                "dur" => out.push(DUR_MARK),
                _ => out.push_str(macros.get(name).ok_or_else(|| format!("{pattern:?}: unknown macro <{name}>"))?),
            }
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        text = out;
    }
    if text.contains('<') {
        return Err(format!("{pattern:?}: macros nest too deeply"));
    }
    Ok(text.replace("_dur", &DUR_MARK.to_string()).replace("_num", &NUM_MARK.to_string()))
}

/// A parsed pattern element: a word, or a group of alternatives, each a
/// sequence of elements (groups nest when a macro is used inside one).
#[derive(Debug, Clone)]
enum Node {
    Word(String),
    Group(Vec<Vec<Node>>),
}

/// Splits a pattern at its gaps: each part is a sequence of elements, with
/// the gap that follows it.
fn split_parts(text: &str) -> Result<Vec<(Vec<Node>, u8)>, String> {
    let mut parts: Vec<(Vec<Node>, u8)> = vec![(Vec::new(), 0)];
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let node = parse_node(&chars, &mut i, text)?;
        if let Node::Word(w) = &node {
            if w == ".." || w == "..." {
                let last = parts.last_mut().expect("one part at least");
                if last.0.is_empty() {
                    return Err(format!("{text:?}: a gap needs words before it"));
                }
                last.1 = if w == ".." { GAP } else { GAP * 2 };
                parts.push((Vec::new(), 0));
                continue;
            }
        }
        if i == start {
            return Err(format!("{text:?}: stray {:?}", chars[i]));
        }
        parts.last_mut().expect("one part at least").0.push(node);
    }
    if parts.last().is_some_and(|p| p.0.is_empty()) {
        if parts.len() == 1 {
            return Err(format!("{text:?}: empty pattern"));
        }
        return Err(format!("{text:?}: a gap needs words after it"));
    }
    Ok(parts)
}

/// One word (up to whitespace, a brace or a bar) or one `{...}` group.
fn parse_node(chars: &[char], i: &mut usize, text: &str) -> Result<Node, String> {
    if chars[*i] != '{' {
        let start = *i;
        while *i < chars.len() && !chars[*i].is_whitespace() && !matches!(chars[*i], '{' | '}' | '|') {
            *i += 1;
        }
        return Ok(Node::Word(chars[start..*i].iter().collect()));
    }
    *i += 1;
    let mut alternatives = vec![Vec::new()];
    loop {
        match chars.get(*i) {
            None => return Err(format!("{text:?}: '{{' without '}}'")),
            Some('}') => {
                *i += 1;
                return Ok(Node::Group(alternatives));
            }
            Some('|') => {
                *i += 1;
                alternatives.push(Vec::new());
            }
            Some(c) if c.is_whitespace() => *i += 1,
            Some(_) => {
                let start = *i;
                let node = parse_node(chars, i, text)?;
                if matches!(&node, Node::Word(w) if w == ".." || w == "...") {
                    return Err(format!("{text:?}: no gaps inside {{...}}"));
                }
                if *i == start {
                    return Err(format!("{text:?}: stray {:?}", chars[start]));
                }
                alternatives.last_mut().expect("one alternative at least").push(node);
            }
        }
    }
}

/// Every phrase a sequence of elements spells: the product of its groups'
/// alternatives.
fn expand(nodes: &[Node]) -> Result<Vec<String>, String> {
    let mut phrases = vec![String::new()];
    for node in nodes {
        let options: Vec<String> = match node {
            Node::Word(w) => vec![w.clone()],
            Node::Group(alternatives) => {
                let mut all = Vec::new();
                for alternative in alternatives {
                    all.extend(expand(alternative)?);
                    if alternative.is_empty() {
                        all.push(String::new());
                    }
                }
                all
            }
        };
        let mut next = Vec::with_capacity(phrases.len() * options.len());
        for phrase in &phrases {
            for option in &options {
                let mut p = phrase.clone();
                if !option.is_empty() {
                    if !p.is_empty() {
                        p.push(' ');
                    }
                    p.push_str(option);
                }
                next.push(p);
            }
        }
        if next.len() > MAX_EXPANSIONS {
            return Err(format!("pattern expands to more than {MAX_EXPANSIONS} phrases"));
        }
        phrases = next;
    }
    phrases.sort_unstable();
    phrases.dedup();
    Ok(phrases)
}
