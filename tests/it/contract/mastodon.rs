//! The fake Mastodon instance as a contract-suite fake: every item a
//! status tagged `#acmeair`, read through the hashtag timeline.

use crate::fakes::mastodon::MastodonFake;

crate::contract_suite!(MastodonFake);
