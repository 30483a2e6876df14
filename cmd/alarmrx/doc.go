// Command alarmrx is the alarm receiver daemon and its tools.
//
//	alarmrx serve        [--config FILE]   run the receiver
//	alarmrx check-config [--config FILE]   validate a configuration and exit
//	alarmrx version                        print the version
//	alarmrx send  …                        send DC-09 frames like a panel
//	alarmrx bench …                        load-test a receiver
//	alarmrx accounts import FILE.csv | list  manage accounts through the daemon's API
//	alarmrx sites|customers import FILE.csv  import sites or customers the same way
//	alarmrx test on|off|status ACCOUNT      put an account on test and off again
//	alarmrx users add NAME | list           manage the console's station users
//
// Without --config, serve and check-config use the embedded example
// configuration (configs/alarmrx.example.yaml).
//
// main stays thin: it parses flags, loads configs and hands over to the
// daemon package; nothing imports it.
package main
