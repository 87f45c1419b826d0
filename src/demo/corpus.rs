//! The bundled demo corpus: realistic Hacker News stories and comments about
//! the fictional airline "Acme Air" (terms `acme air`, `@acmeair`,
//! `#acmeair`; exclusion `acme air show`) and the fictional "Globex Bank",
//! served by the simulated HN API in `earshot demo`.
//!
//! It covers what the pipeline must tell apart: praise, questions, neutral
//! news, complaints stated as facts, churn, safety and legal words, one angry
//! viral story, near misses ("Acmeist", the air show), Slack markup and
//! `& < >` in text (raw in a title, entity-escaped in HTML as HN stores it),
//! HTML entities, multi-byte text, a post long enough to be cut in Slack, two
//! off-topic items, and two objectIDs that appear twice (on different pages
//! at small page sizes). Every item is 1 to 58 minutes older than `now`, so a
//! 1-hour backfill reads them all.
//!
//! Tests: `hn_sim/tests.rs` (shape and invariants of this corpus).

use chrono::{DateTime, Utc};

use super::hn_sim::SimHit;

const DELAYS: (u64, &str) = (43_500_001, "Acme Air grounds fleet after software bug");
const VIRAL: (u64, &str) = (43_500_020, "Acme Air lost my wheelchair, then their agent hung up on me");
const ASK: (u64, &str) = (43_500_040, "Ask HN: Anyone else stuck in Acme Air's rebooking queue?");
const GLOBEX: (u64, &str) = (43_500_060, "Globex Bank card payments failing across Europe");

/// ~30 items dated relative to `now` (all within the last hour).
pub fn demo_corpus(now: DateTime<Utc>) -> Vec<SimHit> {
    let t = now.timestamp();
    let ago = |minutes: i64| t - minutes * 60;
    let long_rant = format!(
        "<p>Long one, sorry. I fly Acme Air every week for work.</p>{}<p>I am done with Acme Air.</p>",
        "<p>Week after week the same story: the 7:05 is delayed, the gate agent has no information, the app \
         says on time until we are already an hour late, and the rebooking line plays the same loop of \
         music for 90 minutes before dropping the call. I have kept every receipt.</p>"
            .repeat(14)
    );
    let on_hold = SimHit::comment(
        "43500031",
        "delayed_dan",
        ago(9),
        ASK,
        "3 hours on hold with Acme Air and still no answer. The callback they promised never came.",
    );
    let mainframe = SimHit::comment(
        "43500012",
        "throwaway_dev",
        ago(31),
        DELAYS,
        "<p>Worked at Acme Air IT. The rebooking system is a 1998 mainframe &amp; it shows.</p>\
         <p>See <a href=\"https:&#x2F;&#x2F;example.com&#x2F;post\" rel=\"nofollow\">https:&#x2F;&#x2F;example.com&#x2F;post</a></p>",
    );
    vec![
        // Neutral news and the thread under it.
        SimHit::story(DELAYS.0.to_string(), "newsbot", ago(56), DELAYS.1)
            .with_url("https://news.example.com/acme-air-grounded")
            .with_engagement(57, 14),
        mainframe.clone(),
        SimHit::comment(
            "43500013",
            "sabre_nerd",
            ago(30),
            DELAYS,
            "Acme Air runs the same reservation backend as half the industry; the outage is upstream, not theirs.",
        ),
        SimHit::comment(
            "43500014",
            "quietflyer",
            ago(27),
            DELAYS,
            "Does anyone know if Acme Air lets you change the name on a ticket? Their FAQ is silent on it.",
        ),
        // The angry viral story.
        SimHit::story(VIRAL.0.to_string(), "rollingtraveler", ago(48), VIRAL.1)
            .with_text(
                "<p>Flew Acme Air DEN&#x2F;SFO yesterday. They lost my wheelchair. When I called, the agent \
                 hung up on me. Twice.</p><p>Still no wheelchair, still no call back. This is disgusting and \
                 I want to hear from someone at @acmeair who can actually fix it.</p>",
            )
            .with_engagement(1840, 912),
        SimHit::comment(
            "43500021",
            "advocate_amy",
            ago(44),
            VIRAL,
            "This is a safety issue, not a customer-service one. Acme Air should be hearing from a lawyer.",
        ),
        SimHit::comment(
            "43500022",
            "frequentflyer",
            ago(41),
            VIRAL,
            "After the third cancellation this year I&#x27;m switching airlines. Done with Acme Air for good.",
        ),
        SimHit::comment(
            "43500023",
            "mallory",
            ago(38),
            VIRAL,
            "<p>Hey &lt;!channel&gt; and &lt;@U123ABC&gt;: Acme Air support said refunds &gt; vouchers &amp; \
             2 &lt; 3. Sure.</p><p>&lt;!here&gt; <i>anyone</i>?</p>",
        ),
        // Ask HN with complaints stated as facts.
        SimHit::story(ASK.0.to_string(), "stuck_in_ord", ago(35), ASK.1)
            .with_text("<p>Two days in, 140th in the queue. Acme Air&#x27;s app just says &quot;please wait&quot;.</p>")
            .with_engagement(212, 96)
            .with_tag("ask_hn"),
        on_hold.clone(),
        SimHit::comment(
            "43500032",
            "refund_please",
            ago(22),
            ASK,
            "Still no refund from Acme Air after 6 weeks. Filed a chargeback today.",
        ),
        SimHit::comment(
            "43500033",
            "gate_b12",
            ago(19),
            ASK,
            "Acme Air cancelled my flight and rebooked me two days later. No hotel, no meal voucher.",
        ),
        SimHit::comment(
            "43500034",
            "worldtraveller",
            ago(15),
            ASK,
            "Acme Air ✈️ lost my bag in Zürich — 3 days, no update 😡",
        ),
        SimHit::comment(
            "43500035",
            "smoke_alarm",
            ago(12),
            ASK,
            "Acme Air flight 212 aborted takeoff with smoke in the cabin. The FAA should look into this.",
        ),
        SimHit::comment("43500036", "weekly_commuter", ago(6), ASK, &long_rant),
        // Praise and neutral chatter.
        SimHit::comment(
            "43500041",
            "happy_parent",
            ago(33),
            ASK,
            "Credit where due: the Acme Air crew in Lisbon found my kid&#x27;s stuffed rabbit and ran it to the gate.",
        ),
        SimHit::story("43500050", "quantified_trips", ago(25), "Show HN: A flight-delay tracker for Acme Air routes")
            .with_url("https://github.com/example/delaytracker")
            .with_engagement(88, 17)
            .with_tag("show_hn"),
        SimHit::comment(
            "43500051",
            "wifi_fan",
            ago(4),
            (43_500_050, "Show HN: A flight-delay tracker for Acme Air routes"),
            "Flew @acmeair last week, wifi actually worked and we landed 20 min early. #acmeair",
        ),
        // A raw title with Slack markup and & < >: titles are plain text on HN.
        SimHit::story("43500070", "edgelord", ago(2), "<!channel> Acme Air is the worst & I'm done <3 >:(")
            .with_engagement(3, 1),
        // Near misses the matcher must reject.
        SimHit::story("43500080", "airshow_fan", ago(52), "Acme Air Show 2026 lineup announced")
            .with_url("https://airshow.example.com/2026")
            .with_engagement(12, 2),
        SimHit::story("43500081", "designer", ago(47), "The Acmeist manifesto: letting code breathe some fresh air")
            .with_engagement(5, 0),
        // Globex Bank.
        SimHit::story(GLOBEX.0.to_string(), "fintechwatch", ago(40), GLOBEX.1)
            .with_url("https://news.example.com/globex-outage")
            .with_engagement(320, 150),
        SimHit::comment(
            "43500061",
            "renter",
            ago(37),
            GLOBEX,
            "Globex Bank app has been down since 8am and I can&#x27;t pay rent. Support line is a busy tone.",
        ),
        SimHit::comment(
            "43500062",
            "frozen_out",
            ago(20),
            GLOBEX,
            "Globex Bank froze my account for 10 days with no explanation. Still waiting.",
        ),
        SimHit::comment(
            "43500063",
            "calm_customer",
            ago(11),
            GLOBEX,
            "For balance: Globex Bank support fixed my card issue in five minutes this morning.",
        ),
        // Off-topic: no brand at all.
        SimHit::story("43500090", "pl_person", ago(29), "A gentle introduction to ownership in Rust")
            .with_url("https://blog.example.com/ownership")
            .with_engagement(140, 61),
        SimHit::comment(
            "43500091",
            "pl_person2",
            ago(28),
            (43_500_090, "A gentle introduction to ownership in Rust"),
            "<p>Nice write-up, thanks!</p>",
        ),
        // The same objectIDs again, as Algolia shows items that moved while
        // a client was paging: older copies, so they land on later pages.
        SimHit { created_at_i: ago(58), ..on_hold },
        SimHit { created_at_i: ago(57), ..mainframe },
    ]
}
