module github.com/diskpool/diskpool-operator/test/dashpreview

go 1.26.0

require golang.org/x/image v0.46.0

require (
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)
