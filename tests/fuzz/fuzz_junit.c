/* A JUnit report as a stage writes it (pytest, Surefire, go-junit-report). */
#include "fuzz_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_report(sw_report_junit_text, "junit.xml", data, size);
	return 0;
}
