
BlogitsJ(^ІaБ)JБя.­А)J–АV· АўDБ8ЙrБІ‚aA=-БвOZБ