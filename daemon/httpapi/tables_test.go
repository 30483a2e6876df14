package httpapi

import "github.com/alarmrx/alarmrx/store"

// tablesOf are st's record kinds, as the daemon wires them.
func tablesOf(st *store.Store) Tables {
	return Tables{
		Customers: st.Customers, Installers: st.Installers, Technicians: st.Technicians,
		Sites: st.Sites, Accounts: st.Accounts, Zones: st.Zones,
		RespondingParties: st.RespondingParties, Authorities: st.Authorities,
		CustomerContacts: st.CustomerContacts,
	}
}
