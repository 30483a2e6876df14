package sia

import "github.com/alarmrx/alarmrx/protocols"

// Short names keep the tables at one row per line.
const (
	addrNone   = protocols.AddressNone
	addrZone   = protocols.AddressZone
	addrUser   = protocols.AddressUser
	addrArea   = protocols.AddressArea
	addrDoor   = protocols.AddressDoor
	addrDevice = protocols.AddressDevice

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

// standardCodes is the DC-03 event-code table as transcribed in protocols.md
// Appendix B: code, published name, category, what the address designates,
// and whether the code reports a restore.
//
// Address: the Appendix B "Address" column mapped onto protocols.AddressKind.
// Zone, zone number and point number are zones; expansion device, expander,
// device, line, line card, network, output, printer, receiver and relay
// numbers are devices. Condition, custom function, dealer, message and
// manufacturer-defined numbers designate nothing the receiver tracks, so
// they are AddressNone; the number itself stays in Event.Address.
//
// Restore: the code reports the end of a condition: every alarm restore
// (xH), restoral (xR), trouble restore (xJ) and unbypass (xU), and the rows
// whose name pairs them with another code (JC ends JA, NS ends NA, VI ends
// VO, VY ends VZ, YZ ends YX).
//
// Category (design.md §5), by family: the alarm, alarm restore, restoral,
// unverified and cross-point codes of a family take the family's category
// (B burglary; F fire, K heat and S sprinkler fire; H hold-up and P panic
// hold-up; M medical, Q emergency and G gas medical; U untyped, W water and
// Z freeze alarm); its trouble, trouble restore, supervisory and missing
// codes are troubles (but UZ, a missing armed point, is an alarm); bypass
// and unbypass are information; xX tests are tests. The rest is decided row
// by row; a comment says why where the choice is not plain from the name.
var standardCodes = [...]Code{
	{"AA", "Alarm – Panel Substitution", catTamper, addrNone, false}, // an attack on the panel itself
	{"AB", "Abort", catInfo, addrZone, false},
	{"AN", "Analog Restoral", catTrouble, addrZone, true},
	{"AR", "AC Restoral", catTrouble, addrNone, true},
	{"AS", "Analog Service", catTrouble, addrZone, false},
	{"AT", "AC Trouble", catTrouble, addrNone, false},

	{"BA", "Burglary Alarm", catBurglary, addrZone, false},
	{"BB", "Burglary Bypass", catInfo, addrZone, false},
	{"BC", "Burglary Cancel", catOpenClose, addrUser, false},
	{"BD", "Swinger Trouble", catTrouble, addrZone, false},
	{"BE", "Swinger Trouble Restore", catTrouble, addrZone, true},
	{"BG", "Unverified Event - Burglary", catBurglary, addrZone, false},
	{"BH", "Burglary Alarm Restore", catBurglary, addrZone, true},
	{"BJ", "Burglary Trouble Restore", catTrouble, addrZone, true},
	{"BM", "Burglary Alarm - Cross Point", catBurglary, addrZone, false},
	{"BR", "Burglary Restoral", catBurglary, addrZone, true},
	{"BS", "Burglary Supervisory", catTrouble, addrZone, false}, // supervisory is trouble
	{"BT", "Burglary Trouble", catTrouble, addrZone, false},
	{"BU", "Burglary Unbypass", catInfo, addrZone, true},
	{"BV", "Burglary Verified", catBurglary, addrArea, false},
	{"BX", "Burglary Test", catTest, addrZone, false},
	{"BZ", "Missing Supervision", catTrouble, addrZone, false},

	{"CA", "Automatic Closing", catOpenClose, addrArea, false},
	{"CC", "Arming Event", catOpenClose, addrArea, false},
	{"CD", "Closing Delinquent", catSchedule, addrArea, false},
	{"CE", "Closing Extend", catOpenClose, addrUser, false},
	{"CF", "Forced Closing", catOpenClose, addrUser, false},
	{"CG", "Close Area", catOpenClose, addrArea, false},
	{"CI", "Fail to Close", catSchedule, addrArea, false},
	{"CJ", "Late Close", catSchedule, addrUser, false},
	{"CK", "Early Close", catSchedule, addrUser, false},
	{"CL", "Closing Report", catOpenClose, addrUser, false},
	{"CM", "Missing Alarm - Recent Closing", catAlarm, addrZone, false}, // a point went missing right after arming
	{"CO", "Command Sent", catInfo, addrNone, false},
	{"CP", "Automatic Closing", catOpenClose, addrUser, false},
	{"CQ", "Remote Closing", catOpenClose, addrUser, false},
	{"CR", "Recent Closing", catOpenClose, addrUser, false},
	{"CS", "Closing Keyswitch", catOpenClose, addrZone, false},
	{"CT", "Late to Open", catSchedule, addrArea, false},
	{"CW", "Was Force Armed", catOpenClose, addrArea, false},
	{"CX", "Custom Function Executed", catInfo, addrNone, false},
	{"CZ", "Point Closing", catOpenClose, addrZone, false},

	{"DA", "Card Assigned", catInfo, addrUser, false},
	{"DB", "Card Deleted", catInfo, addrUser, false},
	{"DC", "Access Closed", catInfo, addrDoor, false},
	{"DD", "Access Denied", catInfo, addrDoor, false},
	{"DE", "Request to Enter", catInfo, addrDoor, false},
	{"DF", "Door Forced", catBurglary, addrDoor, false}, // a forced door is an intrusion (CID 423)
	{"DG", "Access Granted", catInfo, addrDoor, false},
	{"DH", "Door Left Open - Restoral", catInfo, addrDoor, true},
	{"DI", "Access Denied – Passback", catInfo, addrDoor, false},
	{"DJ", "Door Forced - Trouble", catTrouble, addrDoor, false},
	{"DK", "Access Lockout", catInfo, addrDoor, false},
	{"DL", "Door Left Open - Alarm", catAlarm, addrDoor, false}, // door left open while the area is armed
	{"DM", "Door Left Open - Trouble", catTrouble, addrDoor, false},
	{"DN", "Door Left Open (non-alarm, non-trouble)", catInfo, addrDoor, false},
	{"DO", "Access Open", catInfo, addrDoor, false},
	{"DP", "Access Denied - Unauthorized Time", catInfo, addrDoor, false},
	{"DQ", "Access Denied - Unauthorized Arming State", catInfo, addrDoor, false},
	{"DR", "Door Restoral", catInfo, addrDoor, true},
	{"DS", "Door Station", catInfo, addrDoor, false},
	{"DT", "Access Trouble", catTrouble, addrNone, false},
	{"DU", "Dealer ID", catInfo, addrNone, false},
	{"DV", "Access Denied - Unauthorized Entry Level", catInfo, addrDoor, false},
	{"DW", "Access Denied - Interlock", catInfo, addrDoor, false},
	{"DX", "Request to Exit", catInfo, addrDoor, false},
	{"DY", "Door Locked", catInfo, addrDoor, false},
	{"DZ", "Access Denied - Door Secured", catInfo, addrDoor, false},

	{"EA", "Exit Alarm", catBurglary, addrZone, false}, // an intrusion zone left open at the end of exit delay (CID 374)
	{"EE", "Exit Error", catOpenClose, addrUser, false},
	{"EJ", "Expansion Tamper Restore", catTamper, addrDevice, true},
	{"EM", "Expansion Device Missing", catTrouble, addrDevice, false},
	{"EN", "Expansion Missing Restore", catTrouble, addrDevice, true},
	{"ER", "Expansion Restoral", catTrouble, addrDevice, true},
	{"ES", "Expansion Device Tamper", catTamper, addrDevice, false},
	{"ET", "Expansion Trouble", catTrouble, addrDevice, false},
	{"EX", "External Device Condition", catInfo, addrDevice, false},
	{"EZ", "Missing Alarm - Exit Error", catAlarm, addrZone, false}, // a point went missing at the end of exit delay

	{"FA", "Fire Alarm", catFire, addrZone, false},
	{"FB", "Fire Bypass", catInfo, addrZone, false},
	{"FC", "Fire Cancel", catFire, addrZone, false}, // kept with fire so it joins the fire incident
	{"FG", "Unverified Event – Fire", catFire, addrZone, false},
	{"FH", "Fire Alarm Restore", catFire, addrZone, true},
	{"FI", "Fire Test Begin", catTest, addrArea, false},
	{"FJ", "Fire Trouble Restore", catTrouble, addrZone, true},
	{"FK", "Fire Test End", catTest, addrArea, false},
	{"FL", "Fire Alarm Silenced", catFire, addrZone, false}, // the fire condition persists; only the sounder was silenced
	{"FM", "Fire Alarm - Cross Point", catFire, addrZone, false},
	{"FQ", "Fire Supervisory Trouble Restore", catTrouble, addrZone, true},
	{"FR", "Fire Restoral", catFire, addrZone, true},
	{"FS", "Fire Supervisory", catTrouble, addrZone, false}, // fire supervisory is trouble (CID 200)
	{"FT", "Fire Trouble", catTrouble, addrZone, false},
	{"FU", "Fire Unbypass", catInfo, addrZone, true},
	{"FV", "Fire Supervision Restore", catTrouble, addrZone, true},
	{"FW", "Fire Supervisory Trouble", catTrouble, addrZone, false},
	{"FX", "Fire Test", catTest, addrZone, false},
	{"FY", "Missing Fire Trouble", catTrouble, addrZone, false},
	{"FZ", "Missing Fire Supervision", catTrouble, addrZone, false},

	{"GA", "Gas Alarm", catMedical, addrZone, false},
	{"GB", "Gas Bypass", catInfo, addrZone, false},
	{"GH", "Gas Alarm Restore", catMedical, addrZone, true},
	{"GJ", "Gas Trouble Restore", catTrouble, addrZone, true},
	{"GR", "Gas Restoral", catMedical, addrZone, true},
	{"GS", "Gas Supervisory", catTrouble, addrZone, false},
	{"GT", "Gas Trouble", catTrouble, addrZone, false},
	{"GU", "Gas Unbypass", catInfo, addrZone, true},
	{"GX", "Gas Test", catTest, addrZone, false},

	{"HA", "Holdup Alarm", catHoldUp, addrZone, false},
	{"HB", "Holdup Bypass", catInfo, addrZone, false},
	{"HH", "Holdup Alarm Restore", catHoldUp, addrZone, true},
	{"HJ", "Holdup Trouble Restore", catTrouble, addrZone, true},
	{"HR", "Holdup Restoral", catHoldUp, addrZone, true},
	{"HS", "Holdup Supervisory", catTrouble, addrZone, false},
	{"HT", "Holdup Trouble", catTrouble, addrZone, false},
	{"HU", "Holdup Unbypass", catInfo, addrZone, true},

	{"IA", "Equipment Failure Condition", catTrouble, addrZone, false},
	{"IR", "Equipment Fail - Restoral", catTrouble, addrZone, true},

	{"JA", "User code Tamper", catTamper, addrArea, false},
	{"JC", "User code tamper canceled", catTamper, addrArea, true}, // restore of JA
	{"JD", "Date Changed", catInfo, addrUser, false},
	{"JH", "Holiday Changed", catInfo, addrUser, false},
	{"JK", "Latchkey Alert", catSchedule, addrUser, false}, // a user did not arrive in the scheduled window
	{"JL", "Log Threshold", catInfo, addrNone, false},
	{"JO", "Log Overflow", catInfo, addrNone, false},
	{"JP", "User On Premises", catOpenClose, addrUser, false},
	{"JR", "Schedule Executed", catInfo, addrArea, false},
	{"JS", "Schedule Changed", catInfo, addrUser, false},
	{"JT", "Time Changed", catInfo, addrUser, false},
	{"JV", "User code Changed", catInfo, addrUser, false},
	{"JX", "User code Deleted", catInfo, addrUser, false},
	{"JY", "User code Added", catInfo, addrUser, false},
	{"JZ", "User Level Set", catInfo, addrUser, false},

	{"KA", "Heat Alarm", catFire, addrZone, false}, // heat is a fire detector
	{"KB", "Heat Bypass", catInfo, addrZone, false},
	{"KH", "Heat Alarm Restore", catFire, addrZone, true},
	{"KJ", "Heat Trouble Restore", catTrouble, addrZone, true},
	{"KR", "Heat Restoral", catFire, addrZone, true},
	{"KS", "Heat Supervisory", catTrouble, addrZone, false},
	{"KT", "Heat Trouble", catTrouble, addrZone, false},
	{"KU", "Heat Unbypass", catInfo, addrZone, true},

	{"LB", "Local Program", catInfo, addrNone, false},
	{"LD", "Local Program Denied", catInfo, addrNone, false},
	{"LE", "Listen-in Ended", catInfo, addrNone, false},
	{"LF", "Listen-in Begin", catInfo, addrNone, false},
	{"LR", "Phone Line Restoral", catTrouble, addrDevice, true},
	{"LS", "Local Program Success", catInfo, addrNone, false},
	{"LT", "Phone Line Trouble", catTrouble, addrDevice, false},
	{"LU", "Local Program Fail", catInfo, addrNone, false},
	{"LX", "Local Programming Ended", catInfo, addrNone, false},

	{"MA", "Medical Alarm", catMedical, addrZone, false},
	{"MB", "Medical Bypass", catInfo, addrZone, false},
	{"MH", "Medical Alarm Restore", catMedical, addrZone, true},
	{"MI", "Message", catInfo, addrNone, false},
	{"MJ", "Medical Trouble Restore", catTrouble, addrZone, true},
	{"MR", "Medical Restoral", catMedical, addrZone, true},
	{"MS", "Medical Supervisory", catTrouble, addrZone, false},
	{"MT", "Medical Trouble", catTrouble, addrZone, false},
	{"MU", "Medical Unbypass", catInfo, addrZone, true},

	{"NA", "No Activity", catSchedule, addrZone, false}, // no activity within the programmed time (CID 654)
	{"NC", "Network Condition", catTrouble, addrDevice, false},
	{"NF", "Forced Perimeter Arm", catOpenClose, addrArea, false},
	{"NL", "Perimeter Armed", catOpenClose, addrArea, false},
	{"NM", "Perimeter Armed, User Defined", catOpenClose, addrArea, false},
	{"NR", "Network Restoral", catTrouble, addrDevice, true},
	{"NS", "Activity Resumed", catSchedule, addrZone, true}, // restore of NA
	{"NT", "Network Failure", catTrouble, addrDevice, false},

	{"OA", "Automatic Opening", catOpenClose, addrArea, false},
	{"OC", "Cancel Report", catOpenClose, addrUser, false},
	{"OG", "Open Area", catOpenClose, addrArea, false},
	{"OH", "Early to Open from Alarm", catSchedule, addrUser, false},
	{"OI", "Fail to Open", catSchedule, addrArea, false},
	{"OJ", "Late Open", catSchedule, addrUser, false},
	{"OK", "Early Open", catSchedule, addrUser, false},
	{"OL", "Late to Open from Alarm", catSchedule, addrUser, false},
	{"OP", "Opening Report", catOpenClose, addrUser, false},
	{"OQ", "Remote Opening", catOpenClose, addrUser, false},
	{"OR", "Disarm From Alarm", catOpenClose, addrUser, false},
	{"OS", "Opening Keyswitch", catOpenClose, addrZone, false},
	{"OT", "Late To Close", catSchedule, addrUser, false},
	{"OU", "Output State – Trouble", catTrouble, addrDevice, false},
	{"OV", "Output State – Restore", catTrouble, addrDevice, true},
	{"OZ", "Point Opening", catOpenClose, addrZone, false},

	{"PA", "Panic Alarm", catHoldUp, addrZone, false},
	{"PB", "Panic Bypass", catInfo, addrZone, false},
	{"PH", "Panic Alarm Restore", catHoldUp, addrZone, true},
	{"PJ", "Panic Trouble Restore", catTrouble, addrZone, true},
	{"PR", "Panic Restoral", catHoldUp, addrZone, true},
	{"PS", "Panic Supervisory", catTrouble, addrZone, false},
	{"PT", "Panic Trouble", catTrouble, addrZone, false},
	{"PU", "Panic Unbypass", catInfo, addrZone, true},

	{"QA", "Emergency Alarm", catMedical, addrZone, false},
	{"QB", "Emergency Bypass", catInfo, addrZone, false},
	{"QH", "Emergency Alarm Restore", catMedical, addrZone, true},
	{"QJ", "Emergency Trouble Restore", catTrouble, addrZone, true},
	{"QR", "Emergency Restoral", catMedical, addrZone, true},
	{"QS", "Emergency Supervisory", catTrouble, addrZone, false},
	{"QT", "Emergency Trouble", catTrouble, addrZone, false},
	{"QU", "Emergency Unbypass", catInfo, addrZone, true},

	{"RA", "Remote Programmer Call Failed", catInfo, addrNone, false},
	{"RB", "Remote Program Begin", catInfo, addrNone, false},
	{"RC", "Relay Close", catInfo, addrDevice, false},
	{"RD", "Remote Program Denied", catInfo, addrNone, false},
	{"RN", "Remote Reset", catInfo, addrNone, false},
	{"RO", "Relay Open", catInfo, addrDevice, false},
	{"RP", "Automatic Test", catTest, addrNone, false},
	{"RR", "Power Up", catTamper, addrNone, false}, // status: the panel restarted
	{"RS", "Remote Program Success", catInfo, addrNone, false},
	{"RT", "Data Lost", catTrouble, addrDevice, false},
	{"RU", "Remote Program Fail", catInfo, addrNone, false},
	{"RX", "Manual Test", catTest, addrUser, false},
	{"RY", "Test Off Normal", catTest, addrZone, false},

	{"SA", "Sprinkler Alarm", catFire, addrZone, false}, // sprinkler water flow is fire (CID 113)
	{"SB", "Sprinkler Bypass", catInfo, addrZone, false},
	{"SC", "Change of State", catInfo, addrNone, false},
	{"SH", "Sprinkler Alarm Restore", catFire, addrZone, true},
	{"SJ", "Sprinkler Trouble Restore", catTrouble, addrZone, true},
	{"SR", "Sprinkler Restoral", catFire, addrZone, true},
	{"SS", "Sprinkler Supervisory", catTrouble, addrZone, false},
	{"ST", "Sprinkler Trouble", catTrouble, addrZone, false},
	{"SU", "Sprinkler Unbypass", catInfo, addrZone, true},

	{"TA", "Tamper Alarm", catTamper, addrZone, false},
	{"TB", "Tamper Bypass", catInfo, addrZone, false},
	{"TC", "All Points Tested", catTest, addrNone, false},
	{"TE", "Test End", catTest, addrNone, false},
	{"TH", "Tamper Alarm Restore", catTamper, addrNone, true},
	{"TJ", "Tamper Trouble Restore", catTamper, addrNone, true},
	{"TP", "Walk Test Point", catTest, addrZone, false},
	{"TR", "Tamper Restoral", catTamper, addrZone, true},
	{"TS", "Test Start", catTest, addrNone, false},
	{"TT", "Tamper Trouble", catTamper, addrZone, false},
	{"TU", "Tamper Unbypass", catInfo, addrZone, true},
	{"TW", "Area Watch Start", catInfo, addrNone, false},
	{"TX", "Test Report", catTest, addrNone, false},
	{"TZ", "Area Watch End", catInfo, addrNone, false},

	{"UA", "Untyped Zone Alarm", catAlarm, addrZone, false},
	{"UB", "Untyped Zone Bypass", catInfo, addrZone, false},
	{"UG", "Unverified Event – Untyped", catAlarm, addrZone, false},
	{"UH", "Untyped Alarm Restore", catAlarm, addrZone, true},
	{"UJ", "Untyped Trouble Restore", catTrouble, addrZone, true},
	{"UR", "Untyped Zone Restoral", catAlarm, addrZone, true},
	{"US", "Untyped Zone Supervisory", catTrouble, addrZone, false},
	{"UT", "Untyped Zone Trouble", catTrouble, addrZone, false},
	{"UU", "Untyped Zone Unbypass", catInfo, addrZone, true},
	{"UX", "Undefined", catAlarm, addrNone, false}, // an undefined alarm condition is still an alarm
	{"UY", "Untyped Missing Trouble", catTrouble, addrZone, false},
	{"UZ", "Untyped Missing Alarm", catAlarm, addrZone, false}, // an armed point went missing

	{"VI", "Printer Paper In", catTrouble, addrDevice, true}, // restore of VO
	{"VO", "Printer Paper Out", catTrouble, addrDevice, false},
	{"VR", "Printer Restore", catTrouble, addrDevice, true},
	{"VT", "Printer Trouble", catTrouble, addrDevice, false},
	{"VX", "Printer Test", catTest, addrDevice, false},
	{"VY", "Printer Online", catTrouble, addrNone, true}, // restore of VZ
	{"VZ", "Printer Offline", catTrouble, addrNone, false},

	{"WA", "Water Alarm", catAlarm, addrZone, false},
	{"WB", "Water Bypass", catInfo, addrZone, false},
	{"WH", "Water Alarm Restore", catAlarm, addrZone, true},
	{"WJ", "Water Trouble Restore", catTrouble, addrZone, true},
	{"WR", "Water Restoral", catAlarm, addrZone, true},
	{"WS", "Water Supervisory", catTrouble, addrZone, false},
	{"WT", "Water Trouble", catTrouble, addrZone, false},
	{"WU", "Water Unbypass", catInfo, addrZone, true},

	{"XA", "Extra Account Report", catTrouble, addrNone, false}, // receiver-generated: event from an unknown account
	{"XE", "Extra Point", catTrouble, addrZone, false},
	{"XF", "Extra RF Point", catTrouble, addrZone, false},
	{"XH", "RF Interference Restoral", catTrouble, addrDevice, true},
	{"XI", "Sensor Reset", catInfo, addrZone, false},
	{"XJ", "RF Receiver Tamper Restoral", catTamper, addrDevice, true},
	{"XL", "Low Received Signal Strength/Connection Lost", catTrouble, addrDevice, false},
	{"XM", "Missing Alarm - Cross Point", catAlarm, addrZone, false},
	{"XQ", "RF Interference", catTrouble, addrDevice, false},
	{"XR", "Transmitter Battery Restoral", catTamper, addrZone, true},
	{"XS", "RF Receiver Tamper", catTamper, addrDevice, false},
	{"XT", "Transmitter Battery Trouble", catTamper, addrZone, false},
	{"XW", "Forced Point", catOpenClose, addrZone, false},
	{"XX", "Fail to Test", catTrouble, addrNone, false}, // receiver-generated: an expected test did not arrive

	{"YA", "Bell Fault", catTrouble, addrNone, false},
	{"YB", "Busy Seconds", catInfo, addrDevice, false},
	{"YC", "Communications Fail", catTrouble, addrNone, false},
	{"YD", "Receiver Line Card Trouble", catTrouble, addrDevice, false},
	{"YE", "Receiver Line Card Restored", catTrouble, addrDevice, true},
	{"YF", "Parameter Checksum Fail", catTrouble, addrNone, false},
	{"YG", "Parameter Changed", catTamper, addrNone, false}, // status: programming changed (CID 306)
	{"YH", "Bell Restored", catTrouble, addrNone, true},
	{"YI", "Overcurrent Trouble", catTrouble, addrNone, false},
	{"YJ", "Overcurrent Restore", catTrouble, addrNone, true},
	{"YK", "Communications Restoral", catTrouble, addrNone, true},
	{"YM", "System Battery Missing", catTamper, addrNone, false},
	{"YN", "Invalid Report", catTrouble, addrNone, false},
	{"YO", "Unknown Message", catTrouble, addrNone, false},
	{"YP", "Power Supply Trouble", catTrouble, addrNone, false},
	{"YQ", "Power Supply Restored", catTrouble, addrNone, true},
	{"YR", "System Battery Restoral", catTamper, addrNone, true},
	{"YS", "Communications Trouble", catTrouble, addrNone, false},
	{"YT", "System Battery Trouble", catTamper, addrNone, false},
	{"YU", "Diagnostic Error", catTrouble, addrNone, false},
	{"YW", "Watchdog Reset", catTamper, addrNone, false}, // status: the panel reset itself (CID 305)
	{"YX", "Service Required", catTrouble, addrNone, false},
	{"YY", "Status Report", catInfo, addrNone, false},       // header of a status report
	{"YZ", "Service Completed", catTrouble, addrNone, true}, // restore of YX

	{"ZA", "Freeze Alarm", catAlarm, addrZone, false},
	{"ZB", "Freeze Bypass", catInfo, addrZone, false},
	{"ZH", "Freeze Alarm Restore", catAlarm, addrZone, true},
	{"ZJ", "Freeze Trouble Restore", catTrouble, addrZone, true},
	{"ZR", "Freeze Restoral", catAlarm, addrZone, true},
	{"ZS", "Freeze Supervisory", catTrouble, addrZone, false},
	{"ZT", "Freeze Trouble", catTrouble, addrZone, false},
	{"ZU", "Freeze Unbypass", catInfo, addrZone, true},
}
