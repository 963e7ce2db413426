
BlogitsJ(┬Лmа3,╞а\ еаUd(аш∙ю^hAЖ▓Xа█люmоDаф├дю