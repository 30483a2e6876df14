// Package report builds, renders and mails the morning report of every
// customer, once per night, through the store interfaces it declares
// (store.go). It must not import the daemon, configs, the receiver or
// another daemon service.
package report
