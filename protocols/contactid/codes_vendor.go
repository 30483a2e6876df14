package contactid

// vendorCodes are event codes outside the published DC-05 list that
// senders in the field use. Lookup finds them after the standard table;
// none collides with a standard code. Names are ours, after what the sender
// means by the code.
//
// CHeKT (automation-research.md §2.1, after the CHeKT knowledge-base article
// "Camera activity monitoring (active/dormant/idle)"): a camera is idle when
// it sent no valid alarm topic in 24 h but some in 7 days (E794, R794 when
// it is active again) and dormant when it sent none in 7 days (E795/R795).
// A camera gone quiet is a supervision trouble (design.md §5, class 6); CCC
// is the camera's zone.
//
// ELDES panels send 470, 471 and 473, which no published Contact ID list we
// found names. eavanvalkenburg/pysiaalarm's ADM-CID mapping, extended with
// "all codes used by ELDES alarm" (its PR #21), pairs them with SIA BB, FB
// and BB: the bypasses DC-05 numbers 570 (zone/sensor), 571 (fire) and 573
// (burglary). The names say so; like 570–577 they are information. The
// restore is the unbypass (BU, FU), as 570's is, where pysiaalarm repeats
// the bypass code.
var vendorCodes = [...]Code{
	// ELDES
	{"470", "Zone bypass (ELDES)", catInfo, addrZone, "BB", "BU"},
	{"471", "Fire bypass (ELDES)", catInfo, addrZone, "FB", "FU"},
	{"473", "Burglary bypass (ELDES)", catInfo, addrZone, "BB", "BU"},

	// CHeKT
	{"794", "Camera Idle", catTrouble, addrZone, "", ""},
	{"795", "Camera Dormant", catTrouble, addrZone, "", ""},
}
