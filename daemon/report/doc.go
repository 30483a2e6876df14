// Package report writes and mails the morning report (design.md §9): every
// morning, each customer with an e-mail notification contact (a contact or
// portal user marked as a recipient; store.ReportRecipients) gets a report
// of the night for its sites and those of the customers below it — a
// summary, the incidents with their operator notes, every normal event
// with the notes the operators attached to it, each linking to the portal,
// and "all quiet" for sites with no activity. A report is stored once per
// customer and night before it is mailed, then mailed to each recipient on
// its own, with the recipient's unsubscribe link; a delivery per recipient
// is recorded, so sending is idempotent and survives restarts.
//
// It reads through the store interfaces it declares; it must not import
// the daemon, configs, the receiver or another daemon service.
package report
