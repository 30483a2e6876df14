package contactid

import "github.com/alarmrx/alarmrx/protocols"

// Short names keep the table below at one row per line.
const (
	addrZone = protocols.AddressZone
	addrUser = protocols.AddressUser

	catFire      = protocols.CategoryFire
	catHoldUp    = protocols.CategoryHoldUp
	catMedical   = protocols.CategoryMedical
	catBurglary  = protocols.CategoryBurglary
	catAlarm     = protocols.CategoryAlarm
	catTrouble   = protocols.CategoryTrouble
	catTamper    = protocols.CategoryTamper
	catSchedule  = protocols.CategorySchedule
	catOpenClose = protocols.CategoryOpenClose
	catTest      = protocols.CategoryTest
	catInfo      = protocols.CategoryInfo
)

// codeTable is the DC-05 event-code table as transcribed in protocols.md
// Appendix A: code, published name, category, what CCC carries, and the SIA
// codes pysiaalarm maps qualifier 1 and 3 to ("" where it maps none). Four
// codes Appendix A lacks follow it (358, 359, 360, 900); the comment above
// each says where its name comes from. Codes that only vendors use are in
// vendorCodes (codes_vendor.go).
//
// Categories follow design.md §5 with the class ranges of [DC-05 §event
// codes] as the default. A comment above a row says why it departs from its
// range's default; a trailing comment says which exception inside a range
// (tamper, battery, status) the row falls under.
var codeTable = [...]Code{
	// Medical
	{"100", "Medical", catMedical, addrZone, "MA", "MH"},
	{"101", "Personal Emergency", catMedical, addrZone, "QA", "QH"},
	{"102", "Fail to report in", catMedical, addrZone, "", ""},

	// Fire
	{"110", "Fire", catFire, addrZone, "FA", "FH"},
	{"111", "Smoke", catFire, addrZone, "FA", "FH"},
	{"112", "Combustion", catFire, addrZone, "FA", "FH"},
	{"113", "Water flow", catFire, addrZone, "WA", "WH"},
	{"114", "Heat", catFire, addrZone, "KA", "KH"},
	{"115", "Pull Station", catFire, addrZone, "", ""},
	{"116", "Duct", catFire, addrZone, "", ""},
	{"117", "Flame", catFire, addrZone, "FA", "FH"},
	{"118", "Near Alarm", catFire, addrZone, "", ""},

	// Panic/Duress
	{"120", "Panic", catHoldUp, addrZone, "PA", "PH"},
	{"121", "Duress", catHoldUp, addrUser, "HA", "HH"},
	{"122", "Silent", catHoldUp, addrZone, "HA", "HH"},
	{"123", "Audible", catHoldUp, addrZone, "", ""},
	{"124", "Duress – Access granted", catHoldUp, addrZone, "HA", "HH"},
	{"125", "Duress – Egress granted", catHoldUp, addrZone, "HA", "HH"},

	// Burglary
	{"130", "Burglary", catBurglary, addrZone, "BA", "BH"},
	{"131", "Perimeter", catBurglary, addrZone, "BA", "BH"},
	{"132", "Interior", catBurglary, addrZone, "BA", "BH"},
	{"133", "24 Hour (Safe)", catBurglary, addrZone, "BA", "BH"},
	{"134", "Entry/Exit", catBurglary, addrZone, "BA", "BH"},
	{"135", "Day/night", catBurglary, addrZone, "BA", "BH"},
	{"136", "Outdoor", catBurglary, addrZone, "BA", "BH"},
	{"137", "Tamper", catTamper, addrZone, "TA", "TR"}, // tamper
	{"138", "Near alarm", catBurglary, addrZone, "BA", "BH"},
	{"139", "Intrusion Verifier", catBurglary, addrZone, "BA", "BH"},

	// General alarm
	{"140", "General Alarm", catAlarm, addrZone, "BA", "BH"},
	{"141", "Polling loop open", catAlarm, addrZone, "", ""},
	{"142", "Polling loop short", catAlarm, addrZone, "", ""},
	{"143", "Expansion module failure", catAlarm, addrZone, "ET", "ER"},
	{"144", "Sensor tamper", catTamper, addrZone, "TA", "TR"},       // tamper
	{"145", "Expansion module tamper", catTamper, addrZone, "", ""}, // tamper
	// 146: rule says Alarm; a silent burglary is a burglary, not a generic alarm
	{"146", "Silent Burglary", catBurglary, addrZone, "HA", "HH"},
	{"147", "Sensor Supervision Failure", catAlarm, addrZone, "", ""},

	// 24h non-burglary
	{"150", "24 Hour Non-Burglary", catAlarm, addrZone, "UA", "UH"},
	{"151", "Gas detected", catMedical, addrZone, "GA", "GH"}, // life safety
	{"152", "Refrigeration", catAlarm, addrZone, "", ""},
	{"153", "Loss of heat", catAlarm, addrZone, "", ""},
	{"154", "Water Leakage", catAlarm, addrZone, "", ""},
	{"155", "Foil Break", catAlarm, addrZone, "", ""},
	// 156: rule says Alarm; a day-zone fault, not an alarm
	{"156", "Day Trouble", catTrouble, addrZone, "", ""},
	{"157", "Low bottled gas level", catAlarm, addrZone, "", ""},
	{"158", "High temp", catAlarm, addrZone, "KA", "KH"},
	{"159", "Low temp", catAlarm, addrZone, "ZA", "ZH"},
	{"161", "Loss of air flow", catAlarm, addrZone, "", ""},
	{"162", "Carbon Monoxide detected", catMedical, addrZone, "GA", "GH"}, // life safety
	{"163", "Tank level", catAlarm, addrZone, "", ""},

	// Fire supervisory
	{"200", "Fire Supervisory", catTrouble, addrZone, "", ""},
	{"201", "Low water pressure", catTrouble, addrZone, "", ""},
	{"202", "Low CO2", catTrouble, addrZone, "", ""},
	{"203", "Gate valve sensor", catTrouble, addrZone, "", ""},
	{"204", "Low water level", catTrouble, addrZone, "", ""},
	{"205", "Pump activated", catTrouble, addrZone, "", ""},
	{"206", "Pump failure", catTrouble, addrZone, "", ""},

	// System trouble
	{"300", "System Trouble", catTrouble, addrZone, "YX", "YZ"},
	{"301", "AC Loss", catTrouble, addrZone, "AT", "AR"},
	{"302", "Low system battery", catTamper, addrZone, "YT", "YR"}, // battery
	{"303", "RAM Checksum bad", catTrouble, addrZone, "YX", "YZ"},
	{"304", "ROM checksum bad", catTrouble, addrZone, "YX", "YZ"},
	{"305", "System reset", catTamper, addrZone, "YW", "YZ"},              // status
	{"306", "Panel programming changed", catTamper, addrZone, "YX", "YZ"}, // status
	{"307", "Self- test failure", catTrouble, addrZone, "YX", "YZ"},
	{"308", "System shutdown", catTrouble, addrZone, "YX", "YZ"},
	{"309", "Battery test failure", catTamper, addrZone, "YT", "YR"}, // battery
	{"310", "Ground fault", catTrouble, addrZone, "YX", "YZ"},
	{"311", "Battery Missing/Dead", catTamper, addrZone, "YM", "YR"}, // battery
	{"312", "Power Supply Overcurrent", catTrouble, addrZone, "YP", "YQ"},
	{"313", "Engineer Reset", catTamper, addrUser, "", ""}, // status

	// Sounder/relay trouble
	{"320", "Sounder/Relay", catTrouble, addrZone, "RC", "RO"},
	{"321", "Bell 1", catTrouble, addrZone, "YX", "YZ"},
	{"322", "Bell 2", catTrouble, addrZone, "YX", "YZ"},
	{"323", "Alarm relay", catTrouble, addrZone, "RC", "RO"},
	{"324", "Trouble relay", catTrouble, addrZone, "RC", "RO"},
	{"325", "Reversing relay", catTrouble, addrZone, "RC", "RO"},
	{"326", "Notification Appliance Ckt. # 3", catTrouble, addrZone, "", ""},
	{"327", "Notification Appliance Ckt. #4", catTrouble, addrZone, "", ""},

	// Peripheral trouble
	{"330", "System Peripheral trouble", catTrouble, addrZone, "YX", "YZ"},
	{"331", "Polling loop open", catTrouble, addrZone, "YX", "YZ"},
	{"332", "Polling loop short", catTrouble, addrZone, "YX", "YZ"},
	{"333", "Expansion module failure", catTrouble, addrZone, "ET", "ER"},
	{"334", "Repeater failure", catTrouble, addrZone, "YX", "YZ"},
	{"335", "Local printer out of paper", catTrouble, addrZone, "VO", "VI"},
	{"336", "Local printer failure", catTrouble, addrZone, "VT", "VR"},
	{"337", "Exp. Module DC Loss", catTrouble, addrZone, "ET", "ER"},
	{"338", "Exp. Module Low Batt.", catTamper, addrZone, "ET", "ER"}, // battery
	{"339", "Exp. Module Reset", catTamper, addrZone, "ET", "ER"},     // status
	{"341", "Exp. Module Tamper", catTamper, addrZone, "ET", "ER"},    // tamper
	{"342", "Exp. Module AC Loss", catTrouble, addrZone, "ET", "ER"},
	{"343", "Exp. Module self-test fail", catTrouble, addrZone, "ET", "ER"},
	{"344", "RF Receiver Jam Detect", catTrouble, addrZone, "YC", "YK"},

	// Communication trouble
	{"350", "Communication trouble", catTrouble, addrZone, "YC", "YK"},
	{"351", "Telco 1 fault", catTrouble, addrZone, "LT", "LR"},
	{"352", "Telco 2 fault", catTrouble, addrZone, "LT", "LR"},
	{"353", "Long Range Radio xmitter fault", catTrouble, addrZone, "YC", "YK"},
	{"354", "Failure to communicate event", catTrouble, addrZone, "YC", "YK"},
	{"355", "Loss of Radio supervision", catTrouble, addrZone, "YC", "YK"},
	{"356", "Loss of central polling", catTrouble, addrZone, "YC", "YK"},
	{"357", "Long Range Radio VSWR problem", catTrouble, addrZone, "YC", "YK"},
	// 358: the later Ademco/Resideo Contact ID list, "A periodic
	// Communication path test has failed" (as transcribed in
	// winstan/hubitat_envisalink hubitat_envisalink_connection_driver.groovy
	// and Dilbert66/esphome-vistaECP); pysiaalarm maps 358–360 to YC/YK.
	{"358", "Periodic Comm Test Fail /Restore", catTrouble, addrZone, "YC", "YK"},
	// 359: no published row of its own (the Resideo list leaves it blank);
	// the name is that of its DC-05 class, "Communication Troubles - 350 and
	// 360" (class table as printed in Honeywell's NFW-100X manual).
	{"359", "Communication trouble", catTrouble, addrZone, "YC", "YK"},
	// 360: the class row of DC-05-1999.09 Appendix C, "Communication
	// trouble" (an Envisalink plugin's transcription of that appendix). The
	// later Resideo list names 360 "New Registration"; pysiaalarm, whose
	// mapping of 358–360 came with ELDES panels (its PR #21), pairs it with
	// YC/YK, a communication trouble, which is what is kept here.
	{"360", "Communication trouble", catTrouble, addrZone, "YC", "YK"},

	// Protection loop trouble
	{"370", "Protection loop", catTrouble, addrZone, "", ""},
	{"371", "Protection loop open", catTrouble, addrZone, "", ""},
	{"372", "Protection loop short", catTrouble, addrZone, "", ""},
	{"373", "Fire trouble", catTrouble, addrZone, "FT", "FJ"},
	// 374: rule says Trouble; exit error alarm: an intrusion zone left open at the end of exit delay (SIA EA)
	{"374", "Exit error alarm (zone)", catBurglary, addrZone, "EA", "BH"},
	{"375", "Panic zone trouble", catTrouble, addrZone, "PT", "PJ"},
	{"376", "Hold-up zone trouble", catTrouble, addrZone, "HT", "HR"},
	{"377", "Swinger Trouble", catTrouble, addrZone, "", ""},
	{"378", "Cross-zone Trouble", catTrouble, addrZone, "", ""},

	// Sensor trouble
	{"380", "Sensor trouble", catTrouble, addrZone, "YX", "YZ"},
	{"381", "Loss of supervision - RF", catTrouble, addrZone, "YC", "YK"},
	{"382", "Loss of supervision - RPM", catTrouble, addrZone, "YC", "YK"},
	{"383", "Sensor tamper", catTamper, addrZone, "", ""},  // tamper
	{"384", "RF low battery", catTamper, addrZone, "", ""}, // battery
	{"385", "Smoke detector Hi sensitivity", catTrouble, addrZone, "", ""},
	{"386", "Smoke detector Low sensitivity", catTrouble, addrZone, "", ""},
	{"387", "Intrusion detector Hi sensitivity", catTrouble, addrZone, "", ""},
	{"388", "Intrusion detector Low sensitivity", catTrouble, addrZone, "", ""},
	{"389", "Sensor self-test failure", catTrouble, addrZone, "", ""},
	{"391", "Sensor Watch trouble", catTrouble, addrZone, "", ""},
	{"392", "Drift Compensation Error", catTrouble, addrZone, "", ""},
	{"393", "Maintenance Alert", catTrouble, addrZone, "YX", "YZ"},

	// Open/Close
	{"400", "Open/Close", catOpenClose, addrUser, "OP", "CL"},
	{"401", "O/C by user", catOpenClose, addrUser, "OP", "CL"},
	{"402", "Group O/C", catOpenClose, addrUser, "OB", "CB"},
	{"403", "Automatic O/C", catOpenClose, addrUser, "OA", "CA"},
	// 404: rule says OpenClose; late to open/close is a schedule exception
	{"404", "Late to O/C (Note: use 453, 454 instead )", catSchedule, addrUser, "", ""},
	{"405", "Deferred O/C (Obsolete- do not use )", catOpenClose, addrUser, "", ""},
	{"406", "Cancel", catOpenClose, addrUser, "OC", "OC"},
	{"407", "Remote arm/disarm", catOpenClose, addrUser, "OQ", "CQ"},
	{"408", "Quick arm", catOpenClose, addrUser, "OP", "CL"},
	{"409", "Keyswitch O/C", catOpenClose, addrUser, "OS", "CS"},

	// Remote access
	{"411", "Callback request made", catInfo, addrUser, "", ""},
	{"412", "Successful download/access", catInfo, addrUser, "RB", "RB"},
	{"413", "Unsuccessful access", catInfo, addrUser, "", ""},
	{"414", "System shutdown command received", catInfo, addrUser, "YT", "YT"},
	{"415", "Dialer shutdown command received", catInfo, addrUser, "", ""},
	{"416", "Successful Upload", catInfo, addrZone, "", ""},

	// Access control
	{"421", "Access denied", catInfo, addrUser, "DD", "DD"},
	{"422", "Access report by user", catInfo, addrUser, "", ""},
	// 423: rule says Info; a forced door is an intrusion, not access information (SIA DF)
	{"423", "Forced Access", catBurglary, addrZone, "DF", "DF"},
	{"424", "Egress Denied", catInfo, addrUser, "", ""},
	{"425", "Egress Granted", catInfo, addrUser, "", ""},
	{"426", "Access Door propped open", catInfo, addrZone, "", ""},
	// 427: rule says Info; a door-monitor fault is a trouble
	{"427", "Access point Door Status Monitor trouble", catTrouble, addrZone, "", ""},
	// 428: rule says Info; a request-to-exit device fault is a trouble
	{"428", "Access point Request To Exit trouble", catTrouble, addrZone, "", ""},
	{"429", "Access program mode entry", catInfo, addrUser, "", ""},
	{"430", "Access program mode exit", catInfo, addrUser, "", ""},
	{"431", "Access threat level change", catInfo, addrUser, "", ""},
	// 432: rule says Info; a relay failure is a trouble
	{"432", "Access relay/trigger fail", catTrouble, addrZone, "", ""},
	{"433", "Access RTE shunt", catInfo, addrZone, "", ""},
	{"434", "Access DSM shunt", catInfo, addrZone, "", ""},

	// Special O/C
	{"441", "Armed STAY", catOpenClose, addrUser, "CG", "CG"},
	{"442", "Keyswitch Armed STAY", catOpenClose, addrUser, "", ""},
	{"450", "Exception O/C", catSchedule, addrUser, "", ""},
	{"451", "Early O/C", catSchedule, addrUser, "", ""},
	{"452", "Late O/C", catSchedule, addrUser, "", ""},
	{"453", "Failed to Open", catSchedule, addrUser, "OI", "OI"},
	{"454", "Failed to Close", catSchedule, addrUser, "CI", "CI"},
	{"455", "Auto-arm Failed", catSchedule, addrUser, "", ""},
	{"456", "Partial Arm", catOpenClose, addrUser, "CG", "OG"},       // a partial arm is an arming, not a schedule exception
	{"457", "Exit Error (user)", catOpenClose, addrUser, "EE", "EE"}, // an exit error is an arming event, not a schedule exception
	{"458", "User on Premises", catOpenClose, addrUser, "", ""},      // a user report, not a schedule exception
	{"459", "Recent Close", catOpenClose, addrUser, "", ""},          // recent close follows an arming; not a schedule exception
	// 461: rule says OpenClose; wrong codes at a keypad are a code tamper (SIA JA)
	{"461", "Wrong Code Entry", catTamper, addrZone, "DD", "DD"},
	{"462", "Legal Code Entry", catOpenClose, addrUser, "DO", "DO"},
	{"463", "Re-arm after Alarm", catOpenClose, addrUser, "YY", "YY"},
	{"464", "Auto-arm Time Extended", catOpenClose, addrUser, "", ""},
	{"465", "Panic Alarm Reset", catOpenClose, addrZone, "", ""},
	{"466", "Service On/Off Premises", catOpenClose, addrUser, "", ""},

	// System disable
	{"501", "Access reader disable", catInfo, addrZone, "", ""},

	// Sounder/relay disable
	{"520", "Sounder/Relay Disable", catInfo, addrZone, "", ""},
	{"521", "Bell 1 disable", catInfo, addrZone, "", ""},
	{"522", "Bell 2 disable", catInfo, addrZone, "", ""},
	{"523", "Alarm relay disable", catInfo, addrZone, "", ""},
	{"524", "Trouble relay disable", catInfo, addrZone, "", ""},
	{"525", "Reversing relay disable", catInfo, addrZone, "", ""},
	{"526", "Notification Appliance Ckt. # 3 disable", catInfo, addrZone, "", ""},
	{"527", "Notification Appliance Ckt. # 4 disable", catInfo, addrZone, "", ""},

	// Peripheral disable
	{"531", "Module Added", catInfo, addrZone, "", ""},
	{"532", "Module Removed", catInfo, addrZone, "", ""},

	// Comm disable
	{"551", "Dialer disabled", catInfo, addrZone, "", ""},
	{"552", "Radio transmitter disabled", catInfo, addrZone, "", ""},
	{"553", "Remote Upload/Download disabled", catInfo, addrZone, "", ""},

	// Bypass
	{"570", "Zone/Sensor bypass", catInfo, addrZone, "BB", "BU"},
	{"571", "Fire bypass", catInfo, addrZone, "", ""},
	{"572", "24 Hour zone bypass", catInfo, addrZone, "", ""},
	{"573", "Burg. Bypass", catInfo, addrZone, "", ""},
	{"574", "Group bypass", catInfo, addrUser, "", ""},
	{"575", "Swinger bypass", catInfo, addrZone, "", ""},
	{"576", "Access zone shunt", catInfo, addrZone, "", ""},
	{"577", "Access point bypass", catInfo, addrZone, "", ""},

	// Test/misc
	{"601", "Manual trigger test report", catTest, addrZone, "RX", "RX"},
	{"602", "Periodic test report", catTest, addrZone, "RP", "RP"},
	{"603", "Periodic RF transmission", catTest, addrZone, "", ""},
	{"604", "Fire test", catTest, addrUser, "FX", "FK"},
	// 605: rule says Test; announces a status report, not a test
	{"605", "Status report to follow", catInfo, addrZone, "", ""},
	// 606: rule says Test; announces a listen-in session, not a test
	{"606", "Listen- in to follow", catInfo, addrZone, "", ""},
	{"607", "Walk test mode", catTest, addrUser, "", ""},
	{"608", "Periodic test - System Trouble Present", catTest, addrZone, "TX", "TX"},
	// 609: rule says Test; video transmitter activity, not a test
	{"609", "Video Xmitter active", catInfo, addrZone, "", ""},
	{"611", "Point tested OK", catTest, addrZone, "", ""},
	{"612", "Point not tested", catTest, addrZone, "", ""},
	{"613", "Intrusion Zone Walk Tested", catTest, addrZone, "", ""},
	{"614", "Fire Zone Walk Tested", catTest, addrZone, "", ""},
	{"615", "Panic Zone Walk Tested", catTest, addrZone, "", ""},
	// 616: rule says Test; a request for service is a trouble (SIA YX)
	{"616", "Service Request", catTrouble, addrZone, "", ""},

	// Event log
	{"621", "Event Log reset", catInfo, addrZone, "", ""},
	{"622", "Event Log 50% full", catInfo, addrZone, "JL", "JL"},
	{"623", "Event Log 90% full", catInfo, addrZone, "JL", "JL"},
	{"624", "Event Log overflow", catInfo, addrZone, "JO", "JO"},
	{"625", "Time/Date reset", catInfo, addrUser, "JT", "JT"},
	{"626", "Time/Date inaccurate", catInfo, addrZone, "JD", "JD"},
	{"627", "Program mode entry", catInfo, addrZone, "LB", "LB"},
	{"628", "Program mode exit", catInfo, addrZone, "LX", "LX"},
	{"629", "32 Hour Event log marker", catInfo, addrZone, "", ""},

	// Scheduling
	{"630", "Schedule change", catInfo, addrZone, "", ""},
	{"631", "Exception schedule change", catInfo, addrZone, "", ""},
	{"632", "Access schedule change", catInfo, addrZone, "JS", "JS"},

	// Personnel monitoring
	// 641: rule says Info; senior watch: a monitored person showed no activity
	{"641", "Senior Watch Trouble", catMedical, addrZone, "", ""},
	// 642: rule says Info; latch-key: a user did not arrive in the scheduled window (SIA JK)
	{"642", "Latch-key Supervision", catSchedule, addrUser, "", ""},

	// Misc
	{"651", "Reserved for Ademco Use", catInfo, addrZone, "", ""},
	{"652", "Reserved for Ademco Use", catInfo, addrUser, "", ""},
	{"653", "Reserved for Ademco Use", catInfo, addrUser, "", ""},
	// 654: rule says Info; no activity within the programmed time is a schedule exception (SIA NA)
	{"654", "System Inactivity", catSchedule, addrZone, "NA", "NA"},

	// Miscellaneous
	// 900: the later Ademco/Resideo list, "The specified Downloader ID has
	// aborted a download sequence in progress" (transcribed as for 358); CCC
	// is the downloader ID, a number that is no user. pysiaalarm maps 900 to
	// RR (power up) after ELDES's use of it; that is no download abort, so
	// no SIA code is paired here.
	{"900", "Download Abort", catInfo, addrZone, "", ""},
}
