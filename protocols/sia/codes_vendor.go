package sia

// vendorCodes are codes outside the published DC-03 list that panels in the
// field send (protocols.md §2.4). Names are ours, after what the sending
// panel means by the code.
//
// Ajax hubs (codes and meanings as collected by pysiaalarm's sia_codes.py):
// AF, CB, OB, NB, ND, NE, NO, NP, PC, PD, PE, PF, PG, PO, SM, XC, ZY, ZZ.
// Honeywell Galaxy panels (ZebMcKayhan/SIA-Server galaxy/constants.py, after
// the Galaxy Flex installer manual): AC, BF, BL, YL.
//
// None of them collides with a standard code, so a receiver that also
// meets a panel using them differently still decodes every standard code.
var vendorCodes = [...]Code{
	// Ajax
	{"AF", "Arming by Scenario", catOpenClose, addrZone, false},
	{"CB", "Group Closing", catOpenClose, addrArea, false}, // CID 402 group O/C, qualifier 3
	{"NB", "Night Mode by Scenario", catOpenClose, addrArea, false},
	{"ND", "Night Mode Deactivated Under Duress", catHoldUp, addrArea, false}, // a duress code was used
	{"NE", "Night Mode Activation Failed", catOpenClose, addrArea, false},
	{"NO", "Night Mode Deactivated Automatically", catOpenClose, addrArea, false},
	{"NP", "Night Mode Deactivated by Device", catOpenClose, addrZone, false},
	{"OB", "Group Opening", catOpenClose, addrArea, false}, // CID 402 group O/C, qualifier 1
	{"PC", "Photo on Demand Enabled", catInfo, addrUser, false},
	{"PD", "Photo on Demand Disabled", catInfo, addrUser, false},
	{"PE", "Photo by Scenario Enabled", catInfo, addrNone, false},
	{"PF", "Photo Channel Lost", catTrouble, addrZone, false}, // a MotionCam lost its photo channel to the hub
	{"PG", "Photo by Scenario Disabled", catInfo, addrNone, false},
	{"PO", "Photo Channel Restored", catTrouble, addrNone, true},
	{"SM", "LeakProtect Malfunction", catTrouble, addrZone, false},
	{"XC", "Device Connection Restored", catTrouble, addrNone, true},
	{"ZY", "Device Switched On", catInfo, addrDevice, false},
	{"ZZ", "Device Switched Off", catInfo, addrDevice, false},

	// Galaxy
	{"AC", "Alarm Cause", catInfo, addrZone, false}, // names the zone behind an alarm reported on its own
	{"BF", "Intruder High", catBurglary, addrZone, false},
	{"BL", "Intruder Low", catBurglary, addrZone, false},
	{"YL", "AC and Battery Fail", catTrouble, addrNone, false},
}
