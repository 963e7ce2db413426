
BlogitsJ(ƒåÀ 1ãÀ˜ÜqÁçü"Á—|ÀžqÁRAJUlÁÌek@G)žÁ