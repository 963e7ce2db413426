
BlogitsJ(Í1QÀôÕ|ÀÔÛ¬ÀäÇNÁyxgÀŽVBÁp8AÄ‰ÁžÁ“?†Þ”Á