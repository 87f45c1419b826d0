//! The fake Reddit as a contract-suite fake: items are self posts in
//! r/travel, found by site-wide search; deleted ones become tombstones.

use crate::fakes::reddit::RedditFake;

crate::contract_suite!(RedditFake);
