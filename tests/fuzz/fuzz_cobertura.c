/* A Cobertura coverage report as a stage writes it (coverage.py, Java). */
#include "fuzz_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_report(sw_report_cobertura_text, "coverage.xml", data, size);
	return 0;
}
