//! Cue categories, one by one, and the rules around them: negation,
//! hypotheticals, enquiries, resolutions, sarcasm, `with_complaint`; topics;
//! the data files and their extension through `[scoring]`.

use super::{assert_labelled, scorer};
use crate::config::ScoringSettings;
use crate::domain::{Label, Urgency};
use crate::pipeline::Scorer;

/// Every category the data must define, each with posts that must fire it
/// (and score negative, unless the category is positive). Removing or
/// renaming a category, or breaking its phrases, fails this table.
const EXAMPLES: &[(&str, &[&str])] = &[
    (
        "waiting",
        &[
            "been in the queue for 90 min now",
            "3 hours on hold",
            "still waiting for someone to call back",
            "day 9 without broadband",
            "my card was meant to arrive 10 days ago",
            "it's been 3 weeks",
        ],
    ),
    (
        "cancellation",
        &[
            "you just cancelled my flight home",
            "engineer never turned up",
            "my booking didn't exist when we arrived",
            "appointment rescheduled again",
        ],
    ),
    (
        "lost_damaged",
        &[
            "parcel marked as delivered but it isn't here",
            "you lost my bag",
            "the TV arrived damaged",
            "half my order was missing",
            "the migration wiped all our comments",
        ],
    ),
    (
        "billing",
        &[
            "you charged me twice this month",
            "still no refund",
            "where is my money",
            "hidden admin fee on my bill",
            "you owe me £85",
            "another price rise",
            "the deal went up to £14",
            "card blocked again while paying",
            "where's my £120",
        ],
    ),
    (
        "no_response",
        &[
            "third email this week, nothing back",
            "emailed 4 times and no reply",
            "nobody answers the phone",
            "is anyone actually there",
            "support replied after 12 days",
            "that's the same article you sent last week",
        ],
    ),
    (
        "passed_around",
        &[
            "transferred 4 times and nobody knows",
            "spoke to 5 different people",
            "every time I ring I get a different answer",
            "going round in circles with your support",
        ],
    ),
    (
        "outage",
        &[
            "app down again",
            "can't log in",
            "no signal since 7am",
            "the website keeps crashing",
            "error 503 every time",
            "the wifi has never once worked",
            "widget blank since the ios update",
            "water off all day with no warning",
        ],
    ),
    (
        "churn",
        &[
            "switching to another provider",
            "cancel my account",
            "never again",
            "closing my account tomorrow",
            "thinking of leaving after 11 years",
            "I shall be taking my number elsewhere",
        ],
    ),
    (
        "legal",
        &[
            "my solicitor will be in touch",
            "taking this to the ombudsman",
            "see you in small claims court",
            "this is discrimination",
            "burn mark on her arm, Ofsted have been contacted",
        ],
    ),
    (
        "safety",
        &[
            "the heater caught fire",
            "there's a smell of gas outside",
            "found glass in my salad",
            "food poisoning after your curry",
            "my mum is on oxygen and the power is off",
        ],
    ),
    (
        "privacy",
        &[
            "someone else's bill came with their address",
            "my account was hacked",
            "payments I didn't make",
            "this is a data breach",
            "someone called pretending to be from you",
            "the caller knew my account number",
            // Security incidents as developers report them.
            "our api keys were exposed to other tenants",
            "your SDK logs the full access token to stdout",
            "anyone can read private repos through the api",
            "there is a stored XSS on your login page",
            "2FA codes are going to the wrong phone numbers",
            "found an S3 bucket of yours open to the world",
            "our customer database is showing up in google search results",
        ],
    ),
    ("escalation", &["I've made a formal complaint", "let me speak to a manager"]),
    ("staff", &["the driver swore at me", "the guard laughed at me", "the agent was really rude to me"]),
    (
        "quality",
        &[
            "the chips were stone cold",
            "the room smelled of smoke",
            "cheap quality, fell apart",
            "the update doesn't fix anything",
        ],
    ),
    (
        "frustration",
        &[
            "fed up with this",
            "🙄",
            "what's the point of even calling",
            "waste of my time",
            "did you even read my message",
        ],
    ),
    ("sarcasm", &["thanks for nothing", "great job losing my order", "love that for me", "what a joke"]),
    ("recurring", &["late again for the 3rd time this week", "delayed again, as usual"]),
    (
        "vulnerable",
        &["no heating for 5 days and my mum is elderly", "stranded at the airport with a baby, flight cancelled"],
    ),
    (
        "at_risk",
        &[
            "flight cancelled, we are sleeping on the floor at the airport",
            "coach cancelled at 1am, I'm on my own at the bus station",
            "power cut since 6am and my dad's care alarm runs on it",
            "the delivery is 3 hours late and her formula was in that order",
            "my mum hasn't had her tablets since friday because of your strike",
            "left on the train, I'm a wheelchair user and now have no way back",
        ],
    ),
    (
        "viral",
        &[
            "this clip of your staff binning returned parcels has 4M views and still no reply from you",
            "my thread about the lost bag has gone viral and still no reply",
        ],
    ),
    ("resolution", &["all sorted now, thanks", "refund came through today", "not cancelled after all"]),
    ("praise", &["shout out to Priya in support", "can't fault the service", "no complaints at all"]),
];

fn fired(text: &str) -> Vec<String> {
    scorer()
        .score_text(text)
        .reasons
        .iter()
        .filter_map(|r| r.strip_prefix("cue: "))
        .map(|r| r.split(" (").next().unwrap_or(r).to_string())
        .collect()
}

#[test]
fn every_category_exists_and_fires_on_its_examples() {
    let s = scorer();
    let names: Vec<&str> = s.cue_categories().map(|(n, _)| n).collect();
    for (category, examples) in EXAMPLES {
        assert!(names.contains(category), "category {category:?} is missing from the data");
        let positive = matches!(*category, "resolution" | "praise");
        for text in *examples {
            let cues = fired(text);
            assert!(cues.iter().any(|c| c == category), "{text:?} should fire {category}: {cues:?}");
            let label = s.score_text(text).label;
            if positive {
                assert_ne!(label, Label::Negative, "{text:?}");
            } else {
                assert_eq!(label, Label::Negative, "{text:?}");
            }
        }
    }
    for (name, summary) in s.cue_categories() {
        assert!(summary.len() > 20, "category {name} needs a summary");
        assert!(EXAMPLES.iter().any(|(c, _)| c == &name), "category {name} has no examples here");
    }
}

#[test]
fn critical_categories_make_a_mention_critical() {
    for (category, examples) in
        EXAMPLES.iter().filter(|(c, _)| matches!(*c, "legal" | "safety" | "privacy" | "at_risk" | "viral"))
    {
        for text in *examples {
            assert_eq!(scorer().score_text(text).level, Urgency::Critical, "{category}: {text:?}");
        }
    }
    // Hyperbole and durations are no critical cue: "zero day" once spelled
    // a duration and made every "4hrs" a security incident.
    for text in ["this sourdough is so good it should be illegal", "delayed 4hrs, now 6hrs", "the 1990s 5 times"] {
        assert_ne!(scorer().score_text(text).level, Urgency::Critical, "{text:?}");
    }
}

/// Critical wordings without the obvious words (fraud, danger, regulators,
/// a story going viral), and their harmless look-alikes.
#[test]
fn critical_without_the_obvious_words() {
    let critical = [
        "there's a withdrawal of 300 quid on my account I never made",
        "2FA was ON and someone still changed my email and password",
        "is this text really from you? it wants my card details",
        "the letting agent let himself into my flat this morning, no notice",
        "my son ate the 'nut free' bar and we ended up in A&E",
        "no signal since 6am, we can't even call 999 if something happens",
        "the chicken in my delivery was out of date and smelled off",
        "the car lost power at 70mph on the motorway with the kids in the back",
        "the driver wouldn't pull over when I asked, I felt so unsafe",
        "tenant fees are banned and you still charged me £200. is that even allowed?",
        "6 weeks of complaints, deadlock letter arrived today, off to the ombudsman",
    ];
    let harmless = [
        "your new advert has 2M views and I love it",
        "is it legal to bring my own food into the cinema?",
        "this queue is killing me lol",
        "the driver slowed down and pulled over to let the ambulance past, nice",
        "my parcel arrived today, thanks",
        "my phone died on the motorway so I missed your call",
    ];
    for (texts, want) in [(&critical[..], true), (&harmless[..], false)] {
        for text in texts {
            let score = scorer().score_text(text);
            assert_eq!(score.level == Urgency::Critical, want, "{text:?}: {:?}", score.reasons);
        }
    }
}

#[test]
fn negated_cues_do_not_fire() {
    for (text, category) in [
        ("not cancelled after all, thanks!", "cancellation"),
        ("the flight wasn't cancelled", "cancellation"),
        ("never had to wait on hold", "waiting"),
        ("I didn't get charged twice, all good", "billing"),
        ("the app isn't down for me", "outage"),
    ] {
        assert!(!fired(text).iter().any(|c| c == category), "{text:?}: {:?}", fired(text));
    }
    let score = scorer().score_text("not cancelled after all, thanks!");
    assert_eq!(score.label, Label::Positive, "{score:?}");
    // A negation inside another cue negates nothing: "no refund, no reply".
    let cues = fired("still no refund, no reply to my emails");
    assert!(cues.contains(&"billing".into()) && cues.contains(&"no_response".into()), "{cues:?}");
    // "can't believe" is not a negation.
    assert!(fired("can't believe they cancelled my flight").contains(&"cancellation".into()));
}

#[test]
fn hypotheticals_and_enquiries_are_not_complaints() {
    let s = scorer();
    assert_labelled(
        Label::Neutral,
        &[
            "if my flight is cancelled, can I get a refund?",
            "how do I cancel my contract?",
            "can I cancel an order that hasn't shipped yet?",
            "how do I report a lost card?",
            "do you deliver to Leeds? thanks",
            "is there a fee for international transfers?",
            "hi, please help, I need to add my middle name to my booking. thank you!",
            "kindly advise on the status of my refund request",
            "what are the speeds like in SE15?",
        ],
    );
    // A critical cue fires in a question all the same.
    assert_eq!(s.score_text("is it safe to drink when the water is brown?").level, Urgency::Critical);
    // A complaint asked as a question is still a complaint.
    assert_eq!(s.score_text("why has my bill gone up by £12 with no warning??").label, Label::Negative);
}

#[test]
fn news_about_a_company_is_not_a_complaint_or_praise() {
    assert_labelled(
        Label::Neutral,
        &[
            "VoltraTech stock down 9% after weak Q2 guidance",
            "Trust Bank are hiring graduate data analysts in Leeds, closes 14 June",
            "Gridlock servers down for maintenance Tuesday 02:00-06:00 UTC fyi",
            "Bright Air announces a new Bristol to Tenerife route from October, fares from £29",
        ],
    );
    // Judging the company in the same breath is still a complaint.
    assert_labelled(Label::Negative, &["Bright Energy announces a new price rise, absolute joke"]);
}

#[test]
fn a_service_notice_is_news_not_a_complaint() {
    assert_labelled(
        Label::Neutral,
        &[
            "Zap Mobile outage map for anyone checking: https://t.co/zapmap1",
            "NimbusHost status: investigating elevated error rates in eu-west-2 https://t.co/nhstat",
            "NorthSound Ferries: amber weather warning tomorrow, sailings may be disrupted, check before you travel",
            "signal failure at Didcot, Wessex Rail says lines reopen approx 15:30. plan ahead folks",
            "FreshCart's minimum order going up to £50 from 1 March, per the email this morning.",
        ],
    );
    // Calling the notice a lie is a complaint.
    assert_labelled(Label::Negative, &["@CloudNoteSupport status page is lying"]);
}

#[test]
fn ratings_and_slang_praise_are_praise() {
    for text in [
        "ParcelDash driver left it with my neighbour and sent a photo. 10/10 communication",
        "Harbour Rooms York 5/5, would stay again",
        "5 stars. freeze card in one tap, instant notifications",
        "the new spin bikes at FitZone ⭐⭐⭐⭐⭐",
        "@KingsbridgeUni extending the library to 24h for exams is a massive W",
        "the Beanhaus flat white is so underrated",
    ] {
        let score = scorer().score_text(text);
        assert_eq!(score.label, Label::Positive, "{text:?}: {score:?}");
        assert!(fired(text).iter().any(|c| c == "praise"), "{text:?}: {score:?}");
    }
    // 🔥 is praise in a post, not "fire"; a fire is still a danger.
    assert_labelled(Label::Positive, &["FitZone's new spin bikes are 🔥", "@StreamNest the new download feature 🔥"]);
    let fire = scorer().score_text("the charger caught fire 🔥 on my desk");
    assert_eq!(fire.level, Urgency::Critical, "{fire:?}");
    // "it's giving" is slang for "it looks like", not a gift; 😭 is tears
    // of joy as often as of distress.
    assert_labelled(Label::Neutral, &["the gym at 6pm, it's giving rush hour on the tube"]);
    assert_labelled(Label::Neutral, &["my dog's face when the Barkbox arrived 😭😭"]);
    // A poor rating is not praise.
    assert!(!fired("honestly 5/10, the fries were cold").iter().any(|c| c == "praise"));
}

#[test]
fn a_negated_comparative_is_a_superlative() {
    // "couldn't be happier" is the most pleased one can be, not unhappiness.
    for (text, label, cue) in [
        ("couldnt be happier with my @Homely setup tbh", Label::Positive, "praise"),
        ("can't recommend the team at Homely highly enough", Label::Positive, "praise"),
        (
            "Kestrel dealer did the recall fix in 45 mins. Never had better service from a dealer.",
            Label::Positive,
            "praise",
        ),
        ("@Homely service couldn't be worse", Label::Negative, "frustration"),
        ("never had worse service than @ZapMobile", Label::Negative, "frustration"),
    ] {
        let score = scorer().score_text(text);
        assert_eq!(score.label, label, "{text:?}: {score:?}");
        assert!(fired(text).iter().any(|c| c == cue), "{text:?} fires {cue}: {score:?}");
    }
    // Plain negation still negates.
    assert_labelled(Label::Negative, &["I can't recommend Zap, the support is useless"]);
}

#[test]
fn an_enquiry_about_a_bad_thing_is_not_a_complaint_about_the_company() {
    // A strong negative word names what the question is about; so do the
    // negative words after the question, in a post with no complaint cue.
    assert_labelled(
        Label::Neutral,
        &[
            "does my contents policy cover a laptop stolen from the car?",
            "how do I get flu jabs?",
            "Is there a way to move a licence to a new laptop without contacting support? old one died",
            "does the premium plan renew automatically? I would cancel before it does",
        ],
    );
    // A word that judges the company is still a complaint, in the question
    // or after it.
    assert_labelled(
        Label::Negative,
        &["is this useless app down again?", "how do I close my account? this bank is a joke"],
    );
}

#[test]
fn resolutions_soften_earlier_complaints() {
    let s = scorer();
    let open = s.score_text("my bag was lost for 3 days");
    let resolved = s.score_text("my bag was lost for 3 days but it turned up at the hotel this morning, thanks!");
    assert!(resolved.compound > open.compound);
    assert_eq!(resolved.label, Label::Positive, "{resolved:?}");
    assert!(resolved.urgency < open.urgency);
    // A complaint after the resolution still counts.
    let after = s.score_text("thanks for the reply, but copying and pasting the FAQ doesn't help. still broken");
    assert_eq!(after.label, Label::Negative, "{after:?}");
}

#[test]
fn a_resolution_inside_a_longer_hit_counts_unless_that_hit_negates_it() {
    let s = scorer();
    // "called ... 12 minutes" is a no_response shape; the fix inside it is
    // what the post is about.
    let text = "spoke to a lad called Dev who sorted it in 12 minutes";
    assert!(fired(text).contains(&"resolution".into()), "{:?}", fired(text));
    assert_eq!(s.score_text(text).label, Label::Positive, "{:?}", s.score_text(text));
    // "been refunded" inside "still haven't been refunded" is no refund.
    let text = "I still haven't been refunded for the flight you cancelled in April";
    assert!(!fired(text).contains(&"resolution".into()), "{:?}", fired(text));
    assert_eq!(s.score_text(text).label, Label::Negative);
}

#[test]
fn a_with_complaint_hit_keeps_the_complaint_inside_it() {
    // "3rd outage this month" is a recurring shape around an outage: both
    // fire, and the recurring one has its complaint.
    let cues = fired("3rd outage this month, sort it out");
    assert!(cues.contains(&"outage".into()) && cues.contains(&"recurring".into()), "{cues:?}");
    assert_eq!(scorer().score_text("3rd outage this month").label, Label::Negative);
}

#[test]
fn a_phrase_that_is_also_a_with_complaint_phrase_fires_alone() {
    // "no reply" is a no_response phrase and, in the same category, a
    // with_complaint one: the plain phrase is the one kept.
    for text in ["no reply in 4 days", "ticket #KF-55102, no reply in 4 days"] {
        assert!(fired(text).contains(&"no_response".into()), "{text:?}: {:?}", fired(text));
    }
}

#[test]
fn sarcasm_turns_praise_into_complaint() {
    let s = scorer();
    assert_labelled(
        Label::Negative,
        &[
            "great job losing my order",
            "thanks for the 2 hour wait",
            "oh great, another price rise 🙄",
            "Love how my parcel is 'delivered' but not here",
            "3 hours on hold. Brilliant.",
            "wow. just wow. the app is down again",
        ],
    );
    // Praise words next to a complaint across a "but" are not sarcasm.
    let score = s.score_text("the flight was delayed 3 hours but the crew were brilliant and kept us updated");
    assert!(!fired("the flight was delayed 3 hours but the crew were brilliant").contains(&"sarcasm".into()));
    assert_eq!(score.label, Label::Positive, "{score:?}");
}

#[test]
fn with_complaint_phrases_need_a_complaint() {
    // "again" and "elderly" say nothing alone.
    assert!(fired("would fly again").is_empty() || !fired("would fly again").contains(&"recurring".into()));
    assert!(!fired("my elderly mum loves the new app").contains(&"vulnerable".into()));
    assert!(fired("the app is down again and my elderly mum can't pay").contains(&"vulnerable".into()));
}

#[test]
fn politeness_is_not_praise() {
    let s = scorer();
    for text in ["please help", "kindly advise", "thanks in advance", "could you please check my order"] {
        assert_eq!(s.score_text(text).label, Label::Neutral, "{text}");
    }
    // Thanks that close a complaint do not cancel it.
    assert_eq!(s.score_text("still no refund after 3 weeks. thanks").label, Label::Negative);
}

#[test]
fn topics_come_from_phrases_and_cues() {
    let s = scorer();
    let names: Vec<&str> = s.topics().map(|(n, _)| n).collect();
    for topic in ["delay", "cancellation", "billing", "lost_damaged", "delivery", "outage", "staff", "customer_service"]
    {
        assert!(names.contains(&topic), "{topic} missing from the taxonomy");
    }
    let score = s.score_text("flight cancelled and still no refund, 2 hours on hold");
    for topic in ["delay", "cancellation", "billing"] {
        assert!(score.topics.contains(&topic.to_string()), "{:?}", score.topics);
    }
    assert!(s.score_text("the driver was so rude to me").topics.contains(&"staff".to_string()));
    assert!(s.score_text("lovely weather today").topics.is_empty());
    // A topic is what the post is about, not a word near it: the app
    // named is no outage, an address no delivery, a card no account
    // problem, "off" no food gone bad.
    for text in [
        "just updated the app, new icon",
        "changed my address and plan",
        "20% off this weekend",
        "my card is in my wallet",
    ] {
        assert!(s.score_text(text).topics.is_empty(), "{text}: {:?}", s.score_text(text).topics);
    }
    assert!(s.score_text("the app is down again").topics.contains(&"outage".to_string()));
    assert!(s.score_text("card declined at the till").topics.contains(&"account".to_string()));
    assert!(s.score_text("the milk had gone off").topics.contains(&"quality".to_string()));
    // Taxonomy order, each once.
    let t = s.score_text("refund refund refund, the app crashed, refund").topics;
    let mut sorted = t.clone();
    sorted.dedup();
    assert_eq!(t, sorted);
}

#[test]
fn admins_extend_cues_topics_and_lexicon() {
    let mut settings = ScoringSettings::default();
    settings.cues.insert("waiting".into(), vec!["stuck in limbo".into()]);
    settings.topics.insert("loyalty".into(), vec!["{points|reward points} {missing|not added}".into()]);
    settings.lexicon.insert("meh".into(), -2.0);
    settings.cues_file_text = Some(
        r#"
        [[category]]
        name = "recall"
        summary = "Product recalls the team must answer first."
        topic = "safety"
        valence = -2.5
        critical = true
        phrases = ["{product|model} recall"]
        "#
        .into(),
    );
    let s = Scorer::with_settings(&[], &settings).unwrap();
    let score = s.score_text("my order is stuck in limbo");
    assert!(score.reasons.contains(&"cue: waiting (stuck in limbo)".to_string()), "{score:?}");
    assert_eq!(s.score_text("reward points not added").topics, ["loyalty"]);
    assert!(s.score_text("meh").compound < scorer().score_text("meh").compound);
    let recall = s.score_text("is my kettle part of the product recall");
    assert_eq!(recall.level, Urgency::Critical, "{recall:?}");
    assert!(recall.topics.contains(&"safety".to_string()));
    assert!(s.cue_categories().any(|(n, _)| n == "recall"));
}

#[test]
fn bad_extensions_are_refused_with_the_key() {
    let refuse = |settings: ScoringSettings| Scorer::with_settings(&[], &settings).unwrap_err();
    let mut s = ScoringSettings::default();
    s.cues.insert("nonsense".into(), vec!["x".into()]);
    let e = refuse(s);
    assert_eq!(e.key, "scoring.cues.nonsense");
    assert!(e.reason.contains("waiting"), "lists the known categories: {e}");

    let mut s = ScoringSettings::default();
    s.cues.insert("waiting".into(), vec!["ok".into(), "{unclosed".into()]);
    assert_eq!(refuse(s).key, "scoring.cues.waiting[1]");

    let mut s = ScoringSettings::default();
    s.topics.insert("x".into(), vec!["<nomacro>".into()]);
    assert!(refuse(s).reason.contains("unknown macro"));

    let mut s = ScoringSettings::default();
    s.lexicon.insert("word".into(), 9.0);
    assert!(refuse(s).reason.contains("outside -4..4"));

    let s = ScoringSettings {
        cues_file_text: Some("[[category]]\nname = \"new\"\nphrases = [\"x\"]\n".into()),
        ..ScoringSettings::default()
    };
    assert!(refuse(s).reason.contains("summary"));

    let s = ScoringSettings {
        cues_file_text: Some("[[category]]\nname = \"waiting\"\nvalence = 9.0\n".into()),
        ..ScoringSettings::default()
    };
    assert_eq!(refuse(s).key, "cues.waiting.valence");

    let s = ScoringSettings { cues_file_text: Some("not toml [".into()), ..ScoringSettings::default() };
    assert_eq!(refuse(s).key, "scoring.cues_file");

    let mut s = ScoringSettings::default();
    s.cues.insert("waiting".into(), vec!["{a|b|c|d|e|f|g|h|i|j} ".repeat(6)]);
    assert!(refuse(s).reason.contains("expands to more than"));
}

#[test]
fn a_praise_word_out_of_context_is_not_praise() {
    // "heroes" is praise only when said of someone ("absolute heroes").
    assert!(!fired("going to miss heroes tonight. bummer.").iter().any(|c| c == "praise"));
    assert!(fired("the crew were absolute heroes").iter().any(|c| c == "praise"));
}

#[test]
fn replies_in_a_care_thread_are_heard() {
    // The customer's side of a thread with a brand's care account: short,
    // and a complaint only by what it reports.
    let complaints = [
        ("@AcmeCare 5 days since your last reply", "no_response"),
        ("@AcmeCare did that this morning. nobody called", "no_response"),
        ("@AcmeCare live chat just closed on me again", "no_response"),
        ("@AcmeCare that didn't fix anything either", "outage"),
        ("@AcmeCare 3rd time I've been promised a callback", "no_response"),
        ("@AcmeCare the surveyor never turned up", "lost_damaged"),
        ("the app is down again in Leeds, or is it just me", "outage"),
        ("@AcmeCare the reset link goes to a 404", "outage"),
        ("@AcmeCare flight cancelled at 11pm, no hotel", "cancellation"),
    ];
    for (text, cue) in complaints {
        let score = scorer().score_text(text);
        assert_eq!(score.label, Label::Negative, "{text:?}: {score:?}");
        assert!(fired(text).iter().any(|c| c == cue), "{text:?} fires {cue}: {score:?}");
    }
    // Acknowledgements carry no praise.
    assert_labelled(Label::Neutral, &["@AcmeCare ok will do", "@AcmeCare ok sir", "@AcmeCare yes thanks", "ok."]);
}

#[test]
fn harm_within_reach_is_critical() {
    let critical = [
        "the step at the entrance is loose, someone is going to get hurt @AcmeStores",
        "my scalp is blistered after the salon skipped my patch test",
        "got a text asking me to verify my card details at a weird link, is that you @AcmeBank?",
        "the courier photo shows our door code to the sender",
        "@AcmeRide the driver made my daughter get out at 11pm miles from home",
        "nuts all over the nut free meal, could have ended up in A&E",
        "still holding my deposit, dispute lodged with the deposit scheme",
        "prepayment meter ran out and we've been cut off, it's -4 outside",
        "£400 payment I never made just left my account @AcmeBank",
        "the AcmeCam app showed me a stranger's living room feed",
        "AcmeHost deleted our backups during the migration, all our customer data gone",
        "asked for oat milk, got dairy, I'm allergic @AcmeCafe",
        "brake warning light came on at 70 on the motorway, dealer says no fault found",
        "AcmeRide driver was on his phone the whole way and ran a red light",
        "mum is on her last insulin pen and the pharmacy hasn't got her prescription",
        "a cyclist came off at the pothole on Mill Lane, reported it 3 times @AcmeCouncil",
        "tap water has been brown since this morning, nothing from @AcmeWater",
    ];
    for text in critical {
        let score = scorer().score_text(text);
        assert_eq!(score.level, Urgency::Critical, "{text:?}: {score:?}");
    }
}
