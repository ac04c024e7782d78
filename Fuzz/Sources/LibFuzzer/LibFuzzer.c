// Only the header: the function is libFuzzer's (include/LibFuzzer.h).
